"""The PDFs the publicity app prints: published rosters and notices to households."""
