"""Deterministic plans for the demo data: which households exist, who lives in them, which
facts each person has, and how far each household has got through registration and review.

Pure Python driven by one `random.Random(seed)`: no database and no clock, so the same seed
and size always give the same codes, names and ID numbers. `demo.households` carries a plan
out through the services, the way the office would.

The people follow the Yuhang report (seed 000): farming families of one to seven people in
the development zone's communities, three generations under one roof, spouses married in
from elsewhere in Zhejiang, and the cases the qualification rules exist for: hukou moved in
after the cut-off, births and marriages after the growth deadline, hukou moved out,
non-agricultural hukou, earlier housing welfare, and people already resettled in an earlier
project.
"""

from __future__ import annotations

import datetime as dt
import enum
import random
from dataclasses import dataclass, field, fields
from decimal import Decimal

from households import idnumbers
from households.models import (
    HousingWelfare,
    HukouNature,
    MaritalStatus,
    Relation,
    Sex,
    SpecialStatus,
)
from households.validation import MEMBER_FIELDS


@dataclass(frozen=True)
class Policy:
    code: str
    name: str
    hukou_cutoff_date: dt.date
    growth_deadline: dt.date
    area_per_person: Decimal
    one_child_bonus_area: Decimal
    single_person_bonus_area: Decimal

    def model_fields(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# The 2013 distribution of seed 000 and a small 2011 one whose resettled people reappear.
MAIN_POLICY = Policy(
    code="YH2013",
    name="余杭经济技术开发区农民多高层公寓安置",
    hukou_cutoff_date=dt.date(2012, 6, 30),
    growth_deadline=dt.date(2013, 5, 31),
    area_per_person=Decimal("50.00"),
    one_child_bonus_area=Decimal("20.00"),
    single_person_bonus_area=Decimal("15.00"),
)
EARLIER_POLICY = Policy(
    code="YH2011",
    name="余杭经济技术开发区农民多层公寓安置(2011年度)",
    hukou_cutoff_date=dt.date(2010, 6, 30),
    growth_deadline=dt.date(2011, 3, 31),
    area_per_person=Decimal("50.00"),
    one_child_bonus_area=Decimal("20.00"),
    single_person_bonus_area=Decimal("15.00"),
)

# (code, name, relative size) of the twelve communities of the 2013 project.
MAIN_COMMUNITIES = (
    ("NGH", "南宫河社区", 12),
    ("SWQ", "上湾桥社区", 12),
    ("ZQ", "沾桥社区", 9),
    ("TJ", "汤家社区", 8),
    ("DH", "东湖社区", 10),
    ("XZ", "新洲社区", 7),
    ("BS", "北沙社区", 6),
    ("YJ", "姚家社区", 8),
    ("DC", "杜城社区", 7),
    ("GD", "高地社区", 6),
    ("WS", "枉山社区", 7),
    ("HJ", "横江社区", 8),
)
EARLIER_COMMUNITIES = (("XG", "星光社区", 1), ("MS", "茅山社区", 1))

CHINESE_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")

# Yuhang was 余杭县 (330125) until 1994, 余杭市 (330184) until 2001, then 余杭区 (330110).
_NATIVE_REGIONS = ((dt.date(1994, 4, 1), "330125"), (dt.date(2001, 3, 1), "330184"))
_NATIVE_REGION_NOW = "330110"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Where spouses married in from: Hangzhou's districts and counties, then nearby cities.
_MARRIED_IN_REGIONS = _words(
    "330102 330104 330105 330106 330181 330183 330185 330122 "
    "330127 330521 330522 330402 330481 330483 330602 330621"
)

SURNAMES = tuple(
    "沈王张陈李徐俞姚朱吴周钱金孙杨胡黄章陆莫施郑费蒋汪潘范方许何邱冯丁宋凌戴褚卢顾高郎韩严马林赵刘唐"
)
# Given names by generation (born before 1965, 1965–1989, from 1990) and sex.
_GIVEN_NAMES = {
    ("old", "M"): _words(
        "建国 国强 金根 阿根 水根 福明 志明 永林 荣华 根宝 阿毛 德明 伟民 关林 土根 "
        "松林 炳荣 建华 云龙 国华 小毛 金龙 海明 伯松 国良 林法 水法 金法 连生 福根"
    ),
    ("old", "F"): _words(
        "桂英 秀英 美华 金娣 阿娥 月娥 杏娣 凤英 彩娣 菊芳 宝娣 素珍 秀珍 玉珍 爱娟 "
        "美娟 招娣 根娣 小妹 月琴 金凤 兰英 雪娟 阿凤 莲英"
    ),
    ("middle", "M"): _words(
        "建平 卫东 海军 伟 斌 勇 军 强 华 刚 杰 建锋 国峰 晓东 利民 志刚 永刚 建林 "
        "伟强 明华 海峰 春华 立新 红卫 建忠 国庆 卫星 剑锋 炜 鹏"
    ),
    ("middle", "F"): _words(
        "丽 芳 燕 红 娟 琴 霞 静 敏 丽娟 红英 海燕 晓燕 建芬 雪芬 美芬 丽萍 亚芬 春燕 "
        "萍 慧 晓红 玲 月芬 利娟"
    ),
    ("young", "M"): _words(
        "浩 宇 俊杰 子豪 浩然 家豪 晨 一鸣 天宇 宇航 梓轩 博文 俊熙 睿 昊天 逸飞 嘉豪 "
        "泽宇 皓轩 旭 铭 凯 子健 文涛"
    ),
    ("young", "F"): _words(
        "婷 雨婷 佳怡 欣怡 思琪 梦婷 雅琪 诗涵 雨欣 可馨 紫涵 佳琪 怡然 梓涵 晓雯 心怡 "
        "悦 静怡 欣然 依诺"
    ),
}
_MOBILE_PREFIXES = _words(
    "130 131 133 135 136 137 138 139 150 151 152 157 158 159 180 186 187 188 189"
)

_HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6, 7)
_HOUSEHOLD_SIZE_WEIGHTS = (7, 16, 26, 21, 15, 10, 5)


class Stage(enum.Enum):
    """How far a household gets through the workflow in the demo."""

    REGISTERED = "registered"  # in the review queue, nobody has looked yet
    PARTLY_REVIEWED = "partly_reviewed"  # a reviewer has started
    REVIEWED = "reviewed"  # waiting for the leader
    APPROVED = "approved"


class Paperwork(enum.Enum):
    COMPLETE = "complete"
    PARTIAL = "partial"
    NONE = "none"


class Twist(enum.Enum):
    """What makes a person a case for the rules (or an exception the rules allow)."""

    NONE = ""
    MOVED_IN_AFTER_CUTOFF = "moved_in_after_cutoff"
    NEWBORN_IN_TIME = "newborn_in_time"
    NEWBORN_LATE = "newborn_late"
    NEW_SPOUSE_IN_TIME = "new_spouse_in_time"
    NEW_SPOUSE_LATE = "new_spouse_late"
    MOVED_OUT = "moved_out"
    STUDENT_AWAY = "student_away"
    SERVICEMAN_AWAY = "serviceman_away"
    NON_AGRICULTURAL = "non_agricultural"
    HOUSING_WELFARE = "housing_welfare"
    RESETTLED_EARLIER = "resettled_earlier"


class Override(enum.Enum):
    """A reviewer deciding against the computed verdict, with a written reason."""

    NONE = ""
    PASS_DESPITE_VERDICT = "pass"  # noqa: S105 (not a password)
    REJECT_DESPITE_VERDICT = "reject"


@dataclass
class PersonPlan:
    name: str
    id_number: str
    sex: str
    birth_date: dt.date
    relation: str
    hukou_nature: str = HukouNature.AGRICULTURAL
    hukou_moved_in: dt.date | None = None
    hukou_moved_out: dt.date | None = None
    marital_status: str = MaritalStatus.UNMARRIED
    special_status: str = SpecialStatus.NONE
    one_child_certificate: bool = False
    housing_welfare: str = HousingWelfare.NONE
    twist: Twist = Twist.NONE
    override: Override = Override.NONE

    def member_data(self) -> dict:
        """The member as the registration service takes it."""
        return {name: getattr(self, name) for name in MEMBER_FIELDS}


@dataclass
class HouseholdPlan:
    code: str
    community: int  # index into ProjectPlan.communities
    group: int  # index into that community's groups
    address: str
    phone: str
    agreement_number: str
    demolished_area: Decimal
    registrar: str  # username
    reviewer: str
    stage: Stage
    paperwork: Paperwork
    members: list[PersonPlan] = field(default_factory=list)
    reviewed_members: int = 0  # how many members a partly reviewed household has had reviewed
    notes: str = ""

    def household_data(self) -> dict:
        return {
            "code": self.code,
            "address": self.address,
            "phone": self.phone,
            "agreement_number": self.agreement_number,
            "demolished_area": self.demolished_area,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class CommunityPlan:
    code: str
    name: str
    groups: tuple[tuple[str, str], ...]  # (code, name)


@dataclass
class ProjectPlan:
    policy: Policy
    communities: list[CommunityPlan]
    households: list[HouseholdPlan]


@dataclass
class DemoPlan:
    earlier: ProjectPlan  # carried out first: its approvals make RESETTLED_ELSEWHERE cases
    main: ProjectPlan


def plan_demo(*, households: int, seed: int) -> DemoPlan:
    """The whole demo for `households` households of the main project, from `seed`."""
    if households < 1:
        raise ValueError("households must be at least 1")
    rng = random.Random(seed)
    people = _People(rng)
    main = _plan_main(rng, people, households)
    earlier = _plan_earlier(rng, people, main)
    return DemoPlan(earlier=earlier, main=main)


# --- people ------------------------------------------------------------------------------


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _native_region(birth: dt.date) -> str:
    for until, region in _NATIVE_REGIONS:
        if birth < until:
            return region
    return _NATIVE_REGION_NOW


class _People:
    """Names and ID numbers, unique across the whole demo (both projects)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used_ids: set[str] = set()

    def id_number(self, birth: dt.date, sex: str, *, native: bool) -> str:
        region = _native_region(birth) if native else self.rng.choice(_MARRIED_IN_REGIONS)
        for _attempt in range(40):
            number = idnumbers.make(region, birth, self.rng.randrange(500), sex)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
        for sequence in range(500):  # a very crowded birthday: take the first free one
            number = idnumbers.make(region, birth, sequence, sex)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
        raise RuntimeError(f"no free ID number for {region} {birth}")

    def surname(self, *, other_than: str = "") -> str:
        while True:
            surname = self.rng.choice(SURNAMES)
            if surname != other_than:
                return surname

    def given_name(self, sex: str, birth: dt.date) -> str:
        generation = "old" if birth.year < 1965 else "middle" if birth.year < 1990 else "young"
        return self.rng.choice(_GIVEN_NAMES[(generation, sex)])


class _Family:
    """Builds one household's members in order: head first, then the relatives."""

    def __init__(self, people: _People, *, surname: str, nature: str, cutoff: dt.date) -> None:
        self.people = people
        self.rng = people.rng
        self.surname = surname
        self.nature = nature
        self.cutoff = cutoff
        self.members: list[PersonPlan] = []

    def add(
        self,
        relation: str,
        sex: str,
        birth: dt.date,
        *,
        surname: str | None = None,
        native: bool = True,
        moved_in: dt.date | None = None,
        marital: str = MaritalStatus.UNMARRIED,
    ) -> PersonPlan:
        taken = {m.name for m in self.members}
        for _attempt in range(20):
            name = (surname or self.surname) + self.people.given_name(sex, birth)
            if name not in taken:
                break
        person = PersonPlan(
            name=name,
            id_number=self.people.id_number(birth, sex, native=native),
            sex=sex,
            birth_date=birth,
            relation=relation,
            hukou_nature=self.nature,
            hukou_moved_in=moved_in,
            marital_status=marital,
        )
        self.members.append(person)
        return person

    def birth(self, first_year: int, last_year: int) -> dt.date:
        start = dt.date(first_year, 1, 1)
        end = min(dt.date(last_year, 12, 31), self.cutoff - dt.timedelta(days=30))
        return _date_between(self.rng, start, end)

    def marriage(self, *births: dt.date) -> dt.date:
        """A wedding when the younger partner is 21–27, early enough for children."""
        day = _years_after(max(births), self.rng.randint(21, 27))
        day += dt.timedelta(days=self.rng.randint(0, 300))
        return min(day, self.cutoff - dt.timedelta(days=400))

    def couple(
        self, relation: str, partner: PersonPlan, *, born_near: dt.date, native_share: float = 0.2
    ) -> tuple[PersonPlan, dt.date]:
        """Add `partner`'s spouse; most married in from elsewhere and moved their hukou here."""
        sex = Sex.FEMALE if partner.sex == Sex.MALE else Sex.MALE
        shift = self.rng.randint(-1, 4) if sex == Sex.FEMALE else self.rng.randint(-4, 1)
        birth = self.birth(born_near.year - shift, born_near.year - shift)
        wedding = self.marriage(partner.birth_date, birth)
        native = self.rng.random() < native_share
        spouse = self.add(
            relation,
            sex,
            birth,
            surname=self.people.surname(other_than=self.surname),
            native=native,
            moved_in=None if native else max(wedding, birth),
            marital=MaritalStatus.MARRIED,
        )
        partner.marital_status = MaritalStatus.MARRIED
        return spouse, wedding

    def children(
        self, relation: str, count: int, *, after: dt.date, latest: dt.date | None = None
    ) -> list[PersonPlan]:
        """`count` children born after the wedding `after`, before the cut-off."""
        first = after + dt.timedelta(days=300)
        last = min(
            latest or self.cutoff, self.cutoff - dt.timedelta(days=30), _years_after(after, 18)
        )
        # One slice of the window per child, born early enough in it to leave 300 days
        # before the next (unless the window is too short for that).
        width = max(1, (last - first).days // max(count, 1))
        births = [
            first + dt.timedelta(days=index * width + self.rng.randint(0, max(0, width - 300)))
            for index in range(count)
        ]
        sexes = [self.rng.choice((Sex.MALE, Sex.FEMALE)) for _ in births]
        return [self.add(relation, sex, birth) for sex, birth in zip(sexes, births, strict=True)]


def _head_sex(rng: random.Random) -> str:
    return Sex.MALE if rng.random() < 0.85 else Sex.FEMALE


def _plan_family(people: _People, size: int, *, cutoff: dt.date) -> list[PersonPlan]:
    """One household of exactly `size` people whose ages fit their relations."""
    rng = people.rng
    nature = HukouNature.AGRICULTURAL if rng.random() < 0.78 else HukouNature.RESIDENT
    family = _Family(people, surname=people.surname(), nature=nature, cutoff=cutoff)
    if size == 1:
        kind = "single"
    elif size == 2:
        kind = rng.choices(("couple", "parent_child", "siblings"), (70, 20, 10))[0]
    elif size == 3:
        kind = rng.choices(("nuclear", "with_parents", "three_generations"), (65, 20, 15))[0]
    elif size <= 5:
        kind = rng.choices(("nuclear", "with_parents", "three_generations"), (35, 30, 35))[0]
    else:
        kind = rng.choices(("with_parents", "three_generations"), (40, 60))[0]
    build = {
        "single": _single,
        "couple": _couple,
        "parent_child": _parent_child,
        "siblings": _siblings,
        "nuclear": _nuclear,
        "with_parents": _with_parents,
        "three_generations": _three_generations,
    }[kind]
    build(family, size)
    assert len(family.members) == size, (kind, size, len(family.members))  # noqa: S101
    return family.members


def _single(family: _Family, size: int) -> None:
    if family.rng.random() < 0.7:
        birth = family.birth(1928, 1958)
        marital = MaritalStatus.WIDOWED
    else:
        birth = family.birth(1962, 1990)
        marital = family.rng.choice((MaritalStatus.UNMARRIED, MaritalStatus.DIVORCED))
    family.add(Relation.HEAD, _head_sex(family.rng), birth, marital=marital)


def _couple(family: _Family, size: int) -> None:
    head = family.add(Relation.HEAD, Sex.MALE, family.birth(1938, 1988))
    family.couple(Relation.SPOUSE, head, born_near=head.birth_date)


def _parent_child(family: _Family, size: int) -> None:
    head = family.add(
        Relation.HEAD, _head_sex(family.rng), family.birth(1940, 1965),
        marital=MaritalStatus.WIDOWED,
    )  # fmt: skip
    family.children(Relation.CHILD, 1, after=_years_after(head.birth_date, 22))


def _siblings(family: _Family, size: int) -> None:
    head = family.add(Relation.HEAD, _head_sex(family.rng), family.birth(1955, 1985))
    for _ in range(size - 1):
        year = head.birth_date.year + family.rng.choice((-6, -4, -3, -2, 2, 3, 5, 7))
        family.add(
            Relation.SIBLING, family.rng.choice((Sex.MALE, Sex.FEMALE)), family.birth(year, year)
        )


def _nuclear(family: _Family, size: int) -> None:
    children = size - 2
    # Three or more children: parents from before the one-child policy took hold.
    latest = 1972 if children >= 3 else 1986
    head = family.add(Relation.HEAD, _head_sex(family.rng), family.birth(1956, latest))
    _spouse, wedding = family.couple(Relation.SPOUSE, head, born_near=head.birth_date)
    family.children(Relation.CHILD, children, after=wedding)


def _with_parents(family: _Family, size: int) -> None:
    """A younger head living with one or both of his parents, his wife and children."""
    rng = family.rng
    head = family.add(Relation.HEAD, Sex.MALE, family.birth(1966, 1986))
    parents = 2 if size >= 5 or rng.random() < 0.5 else 1
    father_birth = family.birth(head.birth_date.year - 32, head.birth_date.year - 23)
    father_wedding = _years_after(father_birth, rng.randint(21, 25))
    parent_marital = MaritalStatus.MARRIED if parents == 2 else MaritalStatus.WIDOWED
    if parents == 2 or rng.random() < 0.4:
        family.add(Relation.PARENT, Sex.MALE, father_birth, marital=parent_marital)
    if len(family.members) - 1 < parents:
        mother_birth = family.birth(father_birth.year - 1, father_birth.year + 3)
        married_in = rng.random() < 0.7
        family.add(
            Relation.PARENT,
            Sex.FEMALE,
            mother_birth,
            surname=family.people.surname(other_than=family.surname),
            native=not married_in,
            moved_in=max(father_wedding, mother_birth) if married_in else None,
            marital=parent_marital,
        )
    room = size - len(family.members)
    if room >= 1:
        _spouse, wedding = family.couple(Relation.SPOUSE, head, born_near=head.birth_date)
        family.children(Relation.CHILD, room - 1, after=wedding)


def _three_generations(family: _Family, size: int) -> None:
    """An older head, his married son with the daughter-in-law and grandchildren."""
    rng = family.rng
    head = family.add(Relation.HEAD, Sex.MALE, family.birth(1936, 1958))
    wedding = _years_after(head.birth_date, rng.randint(22, 26))
    if rng.random() < (0.8 if size >= 4 else 0.5):
        _spouse, wedding = family.couple(Relation.SPOUSE, head, born_near=head.birth_date)
    else:
        head.marital_status = MaritalStatus.WIDOWED
    son_birth = family.birth(wedding.year + 1, min(wedding.year + 6, 1988))
    son = family.add(Relation.CHILD, Sex.MALE, son_birth)
    if len(family.members) == size:
        return
    _in_law, son_wedding = family.couple(Relation.CHILD_IN_LAW, son, born_near=son_birth)
    room = size - len(family.members)
    grandchildren = min(room, 3)
    family.children(
        Relation.CHILD, room - grandchildren, after=son_birth, latest=dt.date(1995, 12, 31)
    )
    family.children(Relation.GRANDCHILD, grandchildren, after=son_wedding)


# --- projects ----------------------------------------------------------------------------

_STAGE_WEIGHTS = {
    Stage.APPROVED: 55,
    Stage.REVIEWED: 18,
    Stage.PARTLY_REVIEWED: 7,
    Stage.REGISTERED: 20,
}
_PAPERWORK_WEIGHTS = {
    Stage.APPROVED: (85, 15, 0),
    Stage.REVIEWED: (70, 25, 5),
    Stage.PARTLY_REVIEWED: (40, 40, 20),
    Stage.REGISTERED: (35, 35, 30),
}


def _communities(rng: random.Random, spec: tuple, groups: tuple[int, int]) -> list[CommunityPlan]:
    plans = []
    for code, name, _weight in spec:
        count = rng.randint(*groups)
        plans.append(
            CommunityPlan(
                code=code,
                name=name,
                groups=tuple(
                    (f"{code}-{n:02d}", f"第{CHINESE_NUMERALS[n - 1]}村民小组")
                    for n in range(1, count + 1)
                ),
            )
        )
    return plans


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.12:
        return f"0571-{rng.choice(('86', '88', '89'))}{rng.randrange(1_000_000):06d}"
    return f"{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(100_000_000):08d}"


def _households_at(
    rng: random.Random,
    communities: list[CommunityPlan],
    weights: list[int],
    count: int,
) -> list[tuple[int, int, str, str]]:
    """Where `count` households lived: (community, group, code, address), in code order."""
    places = sorted(
        (c, rng.randrange(len(communities[c].groups)))
        for c in rng.choices(range(len(communities)), weights, k=count)
    )
    result = []
    serial: dict[tuple[int, int], int] = {}
    house_number: dict[tuple[int, int], int] = {}
    for c, g in places:
        serial[c, g] = serial.get((c, g), 0) + 1
        house_number[c, g] = house_number.get((c, g), 0) + rng.randint(1, 4)
        community = communities[c]
        code = f"{community.groups[g][0]}-{serial[c, g]:03d}"
        address = (
            f"杭州市余杭区余杭经济技术开发区{community.name}"
            f"{CHINESE_NUMERALS[g]}组{house_number[c, g]}号"
        )
        result.append((c, g, code, address))
    return result


def _household(
    rng: random.Random,
    people: _People,
    policy: Policy,
    community: CommunityPlan,
    place: tuple[int, int, str, str],
    *,
    size: int,
    stage: Stage,
) -> HouseholdPlan:
    c, g, code, address = place
    members = _plan_family(people, size, cutoff=policy.hukou_cutoff_date)
    # The office splits the communities between the two clerks and helps out now and then.
    registrar = ("clerk", "clerk2")[(c + (rng.random() < 0.1)) % 2]
    cents = rng.randint((40 + 40 * size) * 100, (90 + 60 * size) * 100)
    if stage == Stage.PARTLY_REVIEWED and size == 1:
        stage = Stage.REGISTERED
    paperwork = rng.choices(list(Paperwork), _PAPERWORK_WEIGHTS[stage])[0]
    return HouseholdPlan(
        code=code,
        community=c,
        group=g,
        address=address,
        phone=_phone(rng),
        agreement_number=(
            f"YHKF-{rng.randint(policy.hukou_cutoff_date.year - 4, policy.hukou_cutoff_date.year)}"
            f"-{community.code}-{rng.randrange(1, 10_000):04d}"
        ),
        demolished_area=Decimal(cents) / 100,
        registrar=registrar,
        reviewer=rng.choice(("reviewer", "reviewer2")),
        stage=stage,
        paperwork=paperwork,
        members=members,
        reviewed_members=rng.randint(1, size - 1) if stage == Stage.PARTLY_REVIEWED else 0,
    )


def _plan_main(rng: random.Random, people: _People, count: int) -> ProjectPlan:
    policy = MAIN_POLICY
    communities = _communities(rng, MAIN_COMMUNITIES, (4, 9))
    weights = [weight for _code, _name, weight in MAIN_COMMUNITIES]
    households = []
    for place in _households_at(rng, communities, weights, count):
        size = rng.choices(_HOUSEHOLD_SIZES, _HOUSEHOLD_SIZE_WEIGHTS)[0]
        stage = rng.choices(list(_STAGE_WEIGHTS), list(_STAGE_WEIGHTS.values()))[0]
        households.append(
            _household(rng, people, policy, communities[place[0]], place, size=size, stage=stage)
        )
    _apply_twists(rng, people, households, policy)
    _apply_one_child_certificates(rng, households)
    _apply_overrides(rng, households)
    return ProjectPlan(policy=policy, communities=communities, households=households)


def _plan_earlier(rng: random.Random, people: _People, main: ProjectPlan) -> ProjectPlan:
    """The 2011 project: every person of the main plan resettled there heads or married into
    one of its households; a few ordinary households besides. All approved."""
    policy = EARLIER_POLICY
    communities = _communities(rng, EARLIER_COMMUNITIES, (3, 3))
    resettled = [
        person
        for household in main.households
        for person in household.members
        if person.twist == Twist.RESETTLED_EARLIER
    ]
    count = len(resettled) + 2 + len(main.households) // 400
    places = _households_at(rng, communities, [1] * len(communities), count)
    rng.shuffle(places)
    households = []
    for index, place in enumerate(places):
        size = 1 if index < len(resettled) else rng.choices(_HOUSEHOLD_SIZES[1:5], (3, 4, 3, 2))[0]
        household = _household(
            rng, people, policy, communities[place[0]], place, size=size, stage=Stage.APPROVED
        )
        if index < len(resettled):
            household.members = _married_into_earlier(people, resettled[index], policy)
        household.paperwork = Paperwork.COMPLETE
        households.append(household)
    households.sort(key=lambda h: h.code)
    return ProjectPlan(policy=policy, communities=communities, households=households)


def _married_into_earlier(people: _People, person: PersonPlan, policy: Policy) -> list[PersonPlan]:
    """The household in the earlier project that `person` founded or married into."""
    rng = people.rng
    if person.sex == Sex.MALE:
        family = _Family(
            people, surname=person.name[0], nature=HukouNature.AGRICULTURAL,
            cutoff=policy.hukou_cutoff_date,
        )  # fmt: skip
        head = _same_person(person, Relation.HEAD)
        family.members.append(head)
        _wife, wedding = family.couple(Relation.SPOUSE, head, born_near=head.birth_date)
    else:
        family = _Family(
            people, surname=people.surname(other_than=person.name[0]),
            nature=HukouNature.AGRICULTURAL, cutoff=policy.hukou_cutoff_date,
        )  # fmt: skip
        year = person.birth_date.year - rng.randint(0, 3)
        head = family.add(Relation.HEAD, Sex.MALE, family.birth(year, year))
        wedding = family.marriage(head.birth_date, person.birth_date)
        head.marital_status = MaritalStatus.MARRIED
        wife = _same_person(person, Relation.SPOUSE)
        wife.hukou_moved_in = wedding
        family.members.append(wife)
    family.children(Relation.CHILD, rng.randint(0, 2), after=wedding)
    return family.members


def _same_person(person: PersonPlan, relation: str) -> PersonPlan:
    return PersonPlan(
        name=person.name,
        id_number=person.id_number,
        sex=person.sex,
        birth_date=person.birth_date,
        relation=relation,
        marital_status=MaritalStatus.MARRIED,
    )


# --- the cases the rules are for ---------------------------------------------------------

# (twist, share of all members). At least one of each, so even a small demo shows every rule.
_TWIST_SHARES = (
    (Twist.RESETTLED_EARLIER, 0.01),
    (Twist.NEWBORN_LATE, 0.008),
    (Twist.NEWBORN_IN_TIME, 0.015),
    (Twist.NEW_SPOUSE_LATE, 0.005),
    (Twist.NEW_SPOUSE_IN_TIME, 0.01),
    (Twist.STUDENT_AWAY, 0.012),
    (Twist.SERVICEMAN_AWAY, 0.004),
    (Twist.MOVED_OUT, 0.03),
    (Twist.MOVED_IN_AFTER_CUTOFF, 0.04),
    (Twist.NON_AGRICULTURAL, 0.03),
    (Twist.HOUSING_WELFARE, 0.02),
)
_WELFARE_KINDS = tuple(kind for kind in HousingWelfare if kind != HousingWelfare.NONE)


def _apply_twists(
    rng: random.Random, people: _People, households: list[HouseholdPlan], policy: Policy
) -> None:
    total = sum(len(h.members) for h in households)
    for twist, share in _TWIST_SHARES:
        candidates = [
            (household, person)
            for household in households
            for person in household.members
            if person.twist == Twist.NONE and _fits(twist, person, household, policy)
        ]
        wanted = min(len(candidates), max(1, round(share * total)))
        for household, person in rng.sample(candidates, wanted):
            _twist(twist, person, household, people, policy)
            person.twist = twist


def _fits(twist: Twist, person: PersonPlan, household: HouseholdPlan, policy: Policy) -> bool:
    age = _age_on(person.birth_date, policy.hukou_cutoff_date)
    relations = {m.relation for m in household.members}
    head = household.members[0]
    if twist in (Twist.NEWBORN_IN_TIME, Twist.NEWBORN_LATE):
        youngest = person.birth_date == max(m.birth_date for m in household.members)
        if person.relation == Relation.GRANDCHILD:
            return youngest and Relation.CHILD_IN_LAW in relations
        return (
            youngest
            and person.relation == Relation.CHILD
            and Relation.SPOUSE in relations
            and head.birth_date.year >= 1975
        )
    if twist in (Twist.NEW_SPOUSE_IN_TIME, Twist.NEW_SPOUSE_LATE):
        if person.relation == Relation.CHILD_IN_LAW:
            return Relation.GRANDCHILD not in relations
        return (
            person.relation == Relation.SPOUSE
            and Relation.CHILD not in relations
            and head.birth_date.year >= 1978
        )
    if twist == Twist.RESETTLED_EARLIER:
        return person.relation == Relation.CHILD and 24 <= age <= 44
    if twist == Twist.STUDENT_AWAY:
        return person.relation in (Relation.CHILD, Relation.GRANDCHILD) and 18 <= age <= 22
    if twist == Twist.SERVICEMAN_AWAY:
        return (
            person.sex == Sex.MALE
            and person.relation in (Relation.CHILD, Relation.GRANDCHILD, Relation.SIBLING)
            and 18 <= age <= 24
        )
    if twist == Twist.MOVED_OUT:
        return (
            person.relation in (Relation.CHILD, Relation.GRANDCHILD, Relation.SIBLING) and age >= 18
        )
    if twist == Twist.MOVED_IN_AFTER_CUTOFF:
        return (
            person.relation
            in (Relation.SPOUSE, Relation.CHILD_IN_LAW, Relation.SIBLING, Relation.PARENT)
            and age >= 18
        )
    if twist == Twist.NON_AGRICULTURAL:
        return age >= 18
    if twist == Twist.HOUSING_WELFARE:
        return age >= 28
    raise ValueError(twist)


def _twist(
    twist: Twist, person: PersonPlan, household: HouseholdPlan, people: _People, policy: Policy
) -> None:
    rng = people.rng
    cutoff, deadline = policy.hukou_cutoff_date, policy.growth_deadline
    after_cutoff = cutoff + dt.timedelta(days=1)
    after_deadline = deadline + dt.timedelta(days=1)
    if twist in (Twist.NEWBORN_IN_TIME, Twist.NEWBORN_LATE):
        if twist == Twist.NEWBORN_IN_TIME:
            person.birth_date = _date_between(rng, after_cutoff, deadline)
        else:
            person.birth_date = _date_between(
                rng, after_deadline, deadline + dt.timedelta(days=420)
            )
        person.id_number = people.id_number(person.birth_date, person.sex, native=True)
        person.name = person.name[0] + people.given_name(person.sex, person.birth_date)
        person.special_status = SpecialStatus.NEWBORN
        person.marital_status = MaritalStatus.UNMARRIED
        person.hukou_moved_in = None
    elif twist in (Twist.NEW_SPOUSE_IN_TIME, Twist.NEW_SPOUSE_LATE):
        if twist == Twist.NEW_SPOUSE_IN_TIME:
            person.hukou_moved_in = _date_between(rng, after_cutoff, deadline)
        else:
            end = deadline + dt.timedelta(days=300)
            person.hukou_moved_in = _date_between(rng, after_deadline, end)
        person.special_status = SpecialStatus.NEW_SPOUSE
        person.marital_status = MaritalStatus.MARRIED
    elif twist == Twist.RESETTLED_EARLIER:
        # Married into a village of the earlier project, resettled there, hukou never
        # moved out of the parents' household book.
        person.marital_status = MaritalStatus.MARRIED
    elif twist == Twist.STUDENT_AWAY:
        person.hukou_moved_out = _september_first(person.birth_date, cutoff)
        person.special_status = SpecialStatus.STUDENT_AWAY
        household.notes = f"{person.name}户口因就读临时迁出,已提供在读证明。"
    elif twist == Twist.SERVICEMAN_AWAY:
        person.hukou_moved_out = _enlistment(rng, person.birth_date, cutoff)
        person.special_status = SpecialStatus.SERVICEMAN_AWAY
        household.notes = f"{person.name}户口因服兵役临时迁出,已提供部队证明。"
    elif twist == Twist.MOVED_OUT:
        start = max(_years_after(person.birth_date, 18), dt.date(2003, 1, 1))
        # Moved out by the cut-off: the verdict judges the hukou as of that day.
        person.hukou_moved_out = _date_between(rng, start, min(cutoff, dt.date(2012, 12, 31)))
    elif twist == Twist.MOVED_IN_AFTER_CUTOFF:
        end = cutoff + dt.timedelta(days=540)
        person.hukou_moved_in = _date_between(rng, after_cutoff, end)
    elif twist == Twist.NON_AGRICULTURAL:
        person.hukou_nature = HukouNature.NON_AGRICULTURAL
    elif twist == Twist.HOUSING_WELFARE:
        person.housing_welfare = rng.choice(_WELFARE_KINDS)
    else:
        raise ValueError(twist)


def _september_first(birth: dt.date, cutoff: dt.date) -> dt.date:
    """The autumn term the student left for college (at 18, or 17 if that is still to come)."""
    day = dt.date(birth.year + 18, 9, 1)
    return day if day <= cutoff else dt.date(birth.year + 17, 9, 1)


def _enlistment(rng: random.Random, birth: dt.date, cutoff: dt.date) -> dt.date:
    day = dt.date(birth.year + rng.randint(18, 19), 12, 1)
    while day > cutoff:
        day = dt.date(day.year - 1, 12, 1)
    return max(day, birth)


def _apply_one_child_certificates(rng: random.Random, households: list[HouseholdPlan]) -> None:
    """About half the families with one child born in the policy years hold the certificate."""
    for household in households:
        children = [m for m in household.members if m.relation == Relation.CHILD]
        if len(children) == 1 and children[0].birth_date.year >= 1980 and rng.random() < 0.5:
            children[0].one_child_certificate = True


def _apply_overrides(rng: random.Random, households: list[HouseholdPlan]) -> None:
    """A few reviewer decisions against the computed verdict, both ways."""
    reviewed = [h for h in households if h.stage in (Stage.REVIEWED, Stage.APPROVED)]
    total = sum(len(h.members) for h in households)
    wanted = max(1, round(0.004 * total))
    to_pass = [
        person
        for household in reviewed
        for person in household.members
        if person.twist in (Twist.MOVED_IN_AFTER_CUTOFF, Twist.MOVED_OUT)
    ]
    to_reject = [
        person
        for household in reviewed
        for person in household.members
        if person.twist == Twist.NONE and person.relation != Relation.HEAD
        and person.birth_date.year <= 1994
    ]  # fmt: skip
    for person in rng.sample(to_pass, min(wanted, len(to_pass))):
        person.override = Override.PASS_DESPITE_VERDICT
    for person in rng.sample(to_reject, min(wanted, len(to_reject))):
        person.override = Override.REJECT_DESPITE_VERDICT
