"""Synthetic data at scale: realistic users, courses and activity, bulk-loaded in one transaction.

`generate(conn, scale, seed)` fills a database migrated to 010 or later. Rows come from
seeded generators (same seed, same rows) and reach SQLite through `bulkload`, in batches
of bulkload.BATCH_ROWS, so memory stays bounded at any scale; `bulkload` says why foreign
keys, the counter and search triggers and the secondary indexes are suspended during the
load and the derived data rebuilt set-wise before it commits.
"""

import functools
import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from tqdm import tqdm

from . import bulkload, migrate
from .errors import CourselabError
from .vocabulary import (
    AUDIENCE_LINES,
    AUDIENCES,
    EXTRA_TAGS,
    LESSONS,
    MIDDLES,
    OPENINGS,
    REVIEWS,
    TITLES,
    TOPICS,
    cap,
    slug,
    slugify,
)


@dataclass(frozen=True)
class Scale:
    """How much to generate: counts, course shapes, and how active users are."""

    courses: int
    users: int
    enrollments_per_user: float
    sections: tuple = (3, 6)
    lessons_per_section: tuple = (2, 6)


SCALES = {
    "class": Scale(courses=30, users=200, enrollments_per_user=4.0),
    "medium": Scale(courses=1_000, users=10_000, enrollments_per_user=4.0),
    "large": Scale(courses=10_000, users=100_000, enrollments_per_user=6.0,
                   sections=(3, 7), lessons_per_section=(2, 7)),
}

# Insert statements, parents first: the order in which rows are generated and loaded.
COLUMNS = {
    "users": ("id", "name", "email", "created_at"),
    "tags": ("id", "name"),
    "courses": ("id", "title", "description", "difficulty", "duration", "is_published",
                "created_at"),
    "course_tags": ("course_id", "tag_id"),
    "sections": ("id", "course_id", "title", "position"),
    "lessons": ("id", "section_id", "title", "slug", "description", "position"),
    "enrollments": ("user_id", "course_id", "enrolled_at", "completed_at"),
    "progress": ("user_id", "lesson_id", "completed_at"),
    "reviews": ("id", "user_id", "course_id", "rating", "body", "created_at"),
}

START = datetime(2023, 1, 1)
DAY = 86_400


TWO_DIGITS = [f"{n:02d}" for n in range(60)]


def stamp(seconds):
    """Seconds after START as 'YYYY-MM-DD HH:MM:SS' (3x faster than a datetime per call)."""
    day, rest = divmod(seconds, DAY)
    hours, minutes, secs = rest // 3600, rest // 60 % 60, rest % 60
    return f"{_day(day)}{TWO_DIGITS[hours]}:{TWO_DIGITS[minutes]}:{TWO_DIGITS[secs]}"


@functools.cache  # called for millions of rows, on a few thousand distinct days
def _day(day):
    return (START + timedelta(days=day)).strftime("%Y-%m-%d ")


@dataclass
class Plan:
    """What later phases need to know about one course (small: no text)."""

    published: bool
    created: int
    topic: int
    quality: float
    first_lesson: int
    lessons: int


def rows(scale="class", seed=0):
    """Yield (table, row) for the whole dataset, parents before children, lazily.

    Each phase has its own RNG seeded from `seed`, so the rows depend on the seed only.
    """
    spec = _spec(scale)
    plans = []
    yield from _users(spec, seed)
    yield from (("tags", row) for row in _tags())
    yield from _courses(spec, seed, plans)
    yield from _sections_and_lessons(spec, seed, plans)
    yield from _activity(spec, seed, plans)


def _rng(seed, phase):
    return random.Random(f"{seed}:{phase}")


def _spec(scale):
    if scale not in SCALES:
        raise CourselabError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    return SCALES[scale]


def _users(spec, seed):
    from faker import Faker  # imported here: it is slow to load, and only users need it

    fake = Faker("en_US")
    fake.seed_instance(seed)
    firsts = [fake.first_name() for _ in range(400)]
    lasts = [fake.last_name() for _ in range(600)]
    domains = sorted({fake.safe_domain_name() for _ in range(20)})
    rng, joined = _rng(seed, "users"), _rng(seed, "joined")
    for number in range(1, spec.users + 1):
        first, last = rng.choice(firsts), rng.choice(lasts)
        f, last_ascii = slugify(first).replace("-", ""), slugify(last).replace("-", "")
        # The user number makes every address unique; the shapes vary like real ones.
        local = rng.choice([f"{f}.{last_ascii}", f"{f[0]}{last_ascii}", f"{f}_{last_ascii}"])
        yield "users", (f"u-{number:07d}", f"{first} {last}",
                        f"{local}{number}@{rng.choice(domains)}",
                        stamp(joined.randrange(3 * 365 * DAY)))


def _tags():
    names = [topic[1] for topic in TOPICS] + EXTRA_TAGS
    return [(f"t-{name}", name) for name in names]


def _courses(spec, seed, plans):
    rng = _rng(seed, "courses")
    next_lesson = 1
    for number in range(1, spec.courses + 1):
        topic = rng.randrange(len(TOPICS))
        t, _tag, subs, outcomes = TOPICS[topic]
        s, s2, s3 = rng.sample(subs.split("; "), 3)
        template, difficulty = rng.choice(TITLES)
        title = template.format(t=t, s=s, S=cap(s), s2=s2, a=rng.choice(AUDIENCES))
        description = " ".join([
            rng.choice(OPENINGS).format(t=t, s=s, s2=s2, s3=s3), rng.choice(MIDDLES),
            AUDIENCE_LINES[difficulty].format(t=t),
            f"By the end you will be able to {outcomes.strip()}."])
        shape = [rng.randint(*spec.lessons_per_section) for _ in range(rng.randint(*spec.sections))]
        plan = Plan(published=rng.random() < 0.9, created=rng.randrange(2 * 365 * DAY),
                    topic=topic, quality=rng.gauss(0, 1), first_lesson=next_lesson,
                    lessons=sum(shape))
        plans.append((plan, shape))
        next_lesson += plan.lessons
        course_id = f"c-{number:06d}"
        yield "courses", (course_id, title, description, difficulty, f"{2 + plan.lessons // 3}h",
                          int(plan.published), stamp(plan.created))
        extra = rng.sample(EXTRA_TAGS, rng.randint(0, 2))
        for tag in sorted([TOPICS[topic][1], *extra]):
            yield "course_tags", (course_id, f"t-{tag}")


def _sections_and_lessons(spec, seed, plans):
    rng = _rng(seed, "lessons")
    section_no = 0
    for number, (plan, shape) in enumerate(plans, start=1):
        subs = TOPICS[plan.topic][2].split("; ")
        lesson_no = plan.first_lesson
        for position, count in enumerate(shape, start=1):
            section_no += 1
            section_id = f"s-{section_no:07d}"
            sub = "getting started" if position == 1 else rng.choice(subs)
            yield "sections", (section_id, f"c-{number:06d}", cap(sub), position)
            for lesson_position, template in enumerate(LESSONS[:count], start=1):
                title = template.format(s=sub, S=cap(sub))
                yield "lessons", (f"l-{lesson_no:07d}", section_id, title, slug(title),
                                  f"{cap(sub)}: an example, then a short exercise.",
                                  lesson_position)
                lesson_no += 1


def _activity(spec, seed, plans):
    """Per user: enrollments in published courses, lessons completed in order, reviews."""
    rng = _rng(seed, "activity")
    joined = _rng(seed, "joined")  # replays the users' created_at instead of storing them
    published = [i for i, (plan, _shape) in enumerate(plans) if plan.published]
    order = rng.sample(published, len(published))  # popularity rank, unrelated to the id
    cumulative = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(order))))
    review_no = 0
    for number in range(1, spec.users + 1):
        user_id = f"u-{number:07d}"
        since = joined.randrange(3 * 365 * DAY)
        for course in sorted(_pick_courses(rng, spec, order, cumulative)):
            plan = plans[course][0]
            review_no = yield from _enrollment(rng, user_id, course, plan, since, review_no)


def _pick_courses(rng, spec, order, cumulative):
    if rng.random() < 0.08 or not order:  # signed up, never enrolled
        return set()
    wanted = min(len(order), 1 + int(rng.expovariate(1 / (spec.enrollments_per_user - 1))))
    picked = set()
    while len(picked) < wanted:
        picked.update(rng.choices(order, cum_weights=cumulative, k=wanted - len(picked)))
    return picked


def _enrollment(rng, user_id, course, plan, joined, review_no):
    """Yield one enrollment with its progress and maybe a review; return the review count."""
    course_id = f"c-{course + 1:06d}"
    at = max(joined, plan.created) + rng.randrange(180 * DAY)
    outcome = rng.random() - 0.04 * plan.quality
    if outcome < 0.30:
        done = 0
    elif outcome < 0.92:
        done = min(plan.lessons - 1, 1 + int(rng.expovariate(0.5)))
    else:
        done = plan.lessons
    enrolled = at
    for lesson in range(plan.first_lesson, plan.first_lesson + done):
        at += rng.randrange(3600, 4 * DAY)
        yield "progress", (user_id, f"l-{lesson:07d}", stamp(at))
    yield "enrollments", (user_id, course_id, stamp(enrolled),
                          stamp(at) if done == plan.lessons else None)
    chance = 0.55 if done == plan.lessons else (0.12 if done else 0.02)
    if rng.random() < chance:
        review_no += 1
        rating = min(5, max(1, round(4.1 + 0.5 * plan.quality + rng.gauss(0, 0.9))))
        t, _tag, subs, _outcomes = TOPICS[plan.topic]
        body = (rng.choice(REVIEWS[rating]).format(t=t, s=rng.choice(subs.split("; ")))
                if rng.random() < 0.7 else None)
        yield "reviews", (f"r-{review_no:07d}", user_id, course_id, rating, body,
                          stamp(at + rng.randrange(DAY, 30 * DAY)))
    return review_no


def generate(conn, scale="class", seed=0, progress=False):
    """Fill a database migrated to 010 or later with the `scale` dataset; return {table: rows}.

    One transaction: on any error nothing is kept. Counters and the search index are
    exact at the end (checks.run_checks passes). Raises CourselabError if the database
    is below 010 or already holds generated rows.
    """
    spec = _spec(scale)
    _check_ready(conn)
    counts = dict.fromkeys(COLUMNS, 0)
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{bulkload.LOAD_CACHE_KIB}")
    try:
        with tqdm(total=_estimate(spec), unit="rows", unit_scale=True, disable=not progress,
                  desc=f"generate {scale}") as bar, bulkload.loading(conn, COLUMNS):
            for table, batch in bulkload.batches(rows(scale, seed), bulkload.BATCH_ROWS):
                # Tags are a shared vocabulary: a tag that exists (the fixtures' 'sql') is kept.
                sql = bulkload.insert_sql(table, COLUMNS[table], keep_existing=table == "tags")
                counts[table] += conn.executemany(sql, batch).rowcount
                bar.update(len(batch))
            bar.total = bar.n  # the estimate was close; now the count is known
            bar.set_description("indexes, counters, search")
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")
    return counts


def _check_ready(conn):
    if migrate.current_version(conn) < "010":
        raise CourselabError("generate needs a database migrated to 010 or later; "
                             "run `courselab migrate` first")
    if conn.execute("SELECT 1 FROM users WHERE id = 'u-0000001'").fetchone():
        raise CourselabError("this database already holds generated rows; "
                             "generate into a freshly migrated database")


def _estimate(spec):
    """About how many rows `spec` gives (for the progress bar): within a few percent."""
    sections = spec.courses * sum(spec.sections) / 2
    lessons = sections * sum(spec.lessons_per_section) / 2
    # 92% of users enroll, in 1 + int(an exponential of mean enrollments_per_user - 1)
    # courses; each enrollment brings about 3.4 lessons completed and 0.1 review.
    enrollments = spec.users * 0.92 * (spec.enrollments_per_user - 0.5)
    return int(spec.users + spec.courses * 3 + sections + lessons + enrollments * 4.5)
