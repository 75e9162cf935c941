# The two commands a newcomer needs: `make run` and `make test` (see README).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
MANAGE := $(UV) run --frozen python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_HOUSEHOLDS ?= 300

.PHONY: run test lint format bench bench-quick setup uv deps translations messages demo clean

# uv from PyPI when it is missing; Debian's Python refuses plain `pip install --user`
# (PEP 668), hence the second try.
uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || { \
		echo "Installing uv with pip..."; \
		python3 -m pip install --user --quiet uv 2>/dev/null || \
		python3 -m pip install --user --quiet --break-system-packages uv; }

deps: uv
	$(UV) sync --frozen

translations: deps
	$(UV) run --frozen pybabel compile --use-fuzzy -d locale -D django --statistics

setup: translations
	$(MANAGE) migrate --noinput
	$(MANAGE) setup_roles

demo: setup
	$(MANAGE) create_demo_users
	$(MANAGE) seed_demo --households $(DEMO_HOUSEHOLDS) --if-empty

run: demo
	@echo "Serving on http://$(HOST):$(PORT)/  (staff pages /staff/, admin /admin/, API /api/docs/)"
	$(MANAGE) runserver $(HOST):$(PORT)

lint: deps
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen lint-imports --no-logo

format: deps
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

test: translations lint
	$(UV) run --frozen pytest

bench: translations
	$(UV) run --frozen python -m bench

# Every benchmark but the province scale (minutes; README "Benchmarks").
bench-quick: translations
	BENCH_SKIP=province $(UV) run --frozen python -m bench

messages:
	$(MANAGE) makemessages -l en --no-obsolete --ignore=.venv --ignore=staticfiles
	$(MANAGE) makemessages -l en -d djangojs --no-obsolete --ignore=.venv --ignore=staticfiles

clean:
	rm -rf db.sqlite3 private_media staticfiles
