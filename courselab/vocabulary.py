"""The vocabulary of generated data: real course topics, title and review templates, and the
helpers that shape text from them."""

import functools
import re

TOPICS = [
    ("SQL", "sql",
     "SELECT queries; joins; aggregation; subqueries; window functions; views; transactions; "
     "NULL handling",
     "answer business questions with correct, readable SQL"),
    ("SQLite", "sqlite",
     "the sqlite3 shell; PRAGMAs; WAL mode; full-text search; JSON functions; query plans; "
     "backups",
     "embed a fast, reliable database in any application"),
    ("PostgreSQL", "postgresql",
     "indexes; query planning; JSONB; partitioning; replication; roles and grants; VACUUM",
     "run and tune PostgreSQL in production"),
    ("Database Design", "database-design",
     "entities; relationships; keys; normalization; denormalization; constraints; migrations",
     "design a schema that keeps data correct as it grows"),
    ("Python", "python",
     "data structures; functions; modules and packages; testing with pytest; type hints; "
     "decorators; async code",
     "write tested, readable Python programs"),
    ("Data Analysis", "data-analysis",
     "pandas; data cleaning; grouping; reshaping tables; time series; joins of data frames",
     "turn raw tables into answers and charts"),
    ("Data Visualization", "data-visualization",
     "matplotlib; chart design; colour; dashboards; interactive plots; storytelling",
     "choose and draw the chart that makes a point clearly"),
    ("Statistics", "statistics",
     "probability; distributions; sampling; hypothesis tests; confidence intervals; "
     "regression; A/B tests",
     "reason about uncertainty and test an idea with data"),
    ("Machine Learning", "machine-learning",
     "linear regression; classification; decision trees; model evaluation; feature "
     "engineering; clustering; overfitting",
     "train, evaluate and explain a predictive model"),
    ("Deep Learning", "deep-learning",
     "neural networks; backpropagation; convolutional networks; transformers; training loops; "
     "regularization",
     "build and train neural networks for images and text"),
    ("JavaScript", "javascript",
     "the DOM; events; promises; modules; closures; fetch and APIs; testing",
     "build interactive web pages without a framework"),
    ("TypeScript", "typescript",
     "types and interfaces; generics; narrowing; modules; strict mode; tooling",
     "add static types to a JavaScript code base"),
    ("React", "react",
     "components; props and state; hooks; forms; routing; data fetching; performance",
     "build a single-page application with React"),
    ("Web Accessibility", "accessibility",
     "semantic HTML; ARIA; keyboard navigation; colour contrast; screen readers; testing",
     "make web pages usable by everyone"),
    ("Rust", "rust",
     "ownership; borrowing; traits; error handling; iterators; concurrency; cargo",
     "write fast and memory-safe systems code"),
    ("Go", "go",
     "goroutines; channels; interfaces; error handling; the standard library; testing; modules",
     "build concurrent network services in Go"),
    ("Git", "git",
     "commits; branches; merging; rebasing; remotes; pull requests; resolving conflicts",
     "collaborate on code without losing work"),
    ("Linux", "linux",
     "the shell; files and permissions; processes; pipes; shell scripts; systemd; package "
     "managers",
     "work confidently on the command line"),
    ("Docker", "docker",
     "images; containers; Dockerfiles; volumes; networking; compose; registries",
     "package and run any application in containers"),
    ("Kubernetes", "kubernetes",
     "pods; deployments; services; config maps; storage; autoscaling; Helm charts",
     "deploy and operate applications on a cluster"),
    ("Cloud Computing", "cloud",
     "virtual machines; object storage; networking; identity and access; serverless; cost control",
     "design systems that run reliably in the cloud"),
    ("Networking", "networking",
     "TCP/IP; DNS; HTTP; TLS; routing; firewalls; troubleshooting",
     "understand and debug how machines talk to each other"),
    ("Security", "security",
     "threat modelling; authentication; password storage; encryption; web vulnerabilities; "
     "incident response",
     "find and fix the common security holes"),
    ("Algorithms", "algorithms",
     "complexity; sorting; searching; recursion; dynamic programming; graphs; greedy algorithms",
     "choose an algorithm and reason about its cost"),
    ("Data Structures", "data-structures",
     "arrays; linked lists; hash tables; trees; heaps; graphs; tries",
     "pick the right data structure for a problem"),
    ("Software Testing", "testing",
     "unit tests; test doubles; integration tests; property-based testing; coverage; test design",
     "write tests that catch bugs and survive refactoring"),
    ("Software Architecture", "architecture",
     "layers; modules; APIs; events; monoliths and services; trade-offs; documentation",
     "structure a system so that it can change"),
    ("Product Management", "product",
     "user research; roadmaps; prioritization; metrics; experiments; stakeholders",
     "decide what to build next and why"),
    ("UX Design", "ux-design",
     "user research; personas; wireframes; prototyping; usability tests; design systems",
     "design interfaces people understand at first sight"),
    ("Excel", "excel",
     "formulas; lookups; pivot tables; charts; data validation; Power Query",
     "analyse business data in a spreadsheet"),
]

TITLES = [  # (template, difficulty); {t} topic, {s} and {s2} subtopics, {a} audience
    ("{t} Fundamentals", "beginner"), ("Introduction to {t}", "beginner"),
    ("{t} from Scratch", "beginner"), ("{t} for {a}", "beginner"),
    ("Practical {t}", "intermediate"), ("{t} in Practice: {S}", "intermediate"),
    ("The {t} Workshop", "intermediate"), ("Applied {t}: {S} and {s2}", "intermediate"),
    ("Advanced {t}: {S}", "advanced"), ("Mastering {s} in {t}", "advanced"),
]
AUDIENCES = ["Beginners", "Data Analysts", "Developers", "Managers", "Students", "Scientists",
             "Designers", "Career Changers"]
OPENINGS = [
    "A hands-on course on {s}, {s2} and {s3} in {t}.",
    "Learn {t} by building real projects around {s} and {s2}.",
    "This course takes you through {s}, {s2} and {s3}, with {t} as the common thread.",
    "Everything you need to know about {s} and {s2}, taught through {t} examples.",
]
MIDDLES = [
    "Each section ends with exercises on a realistic dataset.",
    "You write code from the first lesson and compare it with worked solutions.",
    "Short videos alternate with reading and quizzes that check what you learned.",
    "The lessons follow one project from an empty folder to a finished result.",
]
AUDIENCE_LINES = {
    "beginner": "No prior experience with {t} is assumed.",
    "intermediate": "You should already be comfortable with the basics of {t}.",
    "advanced": "Aimed at practitioners who use {t} every day and want to go deeper.",
}
LESSONS = ["What is {s}?", "{S} step by step", "{S} in a real project", "Common mistakes with {s}",
           "Exercise: {s}", "{S} under the hood", "Going further with {s}"]
REVIEWS = {
    1: ["Not what the description promised.", "Too shallow, and the exercises are broken."],
    2: ["Some good parts, but hard to follow.", "The pace is uneven and examples are thin."],
    3: ["Decent overview of {s}, nothing more.", "OK, but I expected more depth."],
    4: ["Good course; the part on {s} helped me at work.", "Clear explanations, a bit long."],
    5: ["Excellent: finally understood {s}.", "The best {t} course I have taken."],
}
EXTRA_TAGS = ["hands-on", "project-based", "career", "certification", "quick-start"]


def cap(text):
    """First letter in upper case, the rest unchanged ('the shell' -> 'The shell')."""
    return text[:1].upper() + text[1:]


def slugify(text):
    """'Exercise: SQL joins' -> 'exercise-sql-joins'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@functools.cache  # unbounded: 1,330 distinct lesson titles at the large scale
def slug(title):
    """slugify() with a cache: lesson titles repeat across thousands of courses."""
    return slugify(title)
