"""Rules of the data layer: PostgreSQL (version, extensions, settings, SSL, pools, RLS) and Redis."""

from __future__ import annotations

import re

from stackcheck.adr.model import Sentence, Value
from stackcheck.adr.rules.base import SIZE_UNIT, Build, first, in_context, negated, redis_size, rule

__all__ = [
    "APP_INSTANCES",
    "EXTENSIONS",
    "PGBOUNCER_SETTING",
    "PG_EXTENSIONS",
    "PG_POOL_SIZE",
    "PG_REQUIRE_SSL",
    "PG_RLS",
    "PG_SETTING",
    "PG_UUIDV7",
    "PG_VERSION",
    "REDIS_AOF",
    "REDIS_AUTH",
    "REDIS_EVICTION",
    "REDIS_FSYNC",
    "REDIS_MAXMEMORY",
    "REDIS_VERSION",
]


def _version(low: float, high: float, key: str) -> Build:
    """A version rule's build: a major version in [low, high] read as a minimum (\"PostgreSQL 16\" → >=16)."""

    def build(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
        version = match.group("v")
        if not low <= float(version.split(".")[0]) <= high:
            return None
        return {key: f">={version}"}

    return build


# Extension name in the database → how ADRs write it.
EXTENSIONS: dict[str, str] = {
    "vector": r"\bpgvector\b|\bvector\s+extension\b|\bextension\s+vector\b",
    "timescaledb": r"\btimescale(?:db)?\b",
    "pg_stat_statements": r"\bpg_stat_statements\b",
    "postgis": r"\bpostgis\b",
    "pgcrypto": r"\bpgcrypto\b",
    "uuid-ossp": r"\buuid-ossp\b",
    "pg_trgm": r"\bpg_trgm\b",
    "citext": r"\bcitext\b",
    "hstore": r"\bhstore\b",
    "pg_partman": r"\bpg_partman\b",
    "pg_cron": r"\bpg_cron\b",
    "pgaudit": r"\bpgaudit\b",
}


def _extensions(_match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    text = re.sub(r"\bif\s+not\s+exists\b", " ", sentence.text, flags=re.I)
    found: list[object] = []
    for name, words in EXTENSIONS.items():
        mention = re.search(words, text, re.I)
        if (
            mention
            and not negated(text, mention.start())
            and not re.search(
                r"must\s+not|not\s+be\s+installed|absent", text[mention.end() : mention.end() + 40], re.I
            )
        ):
            found.append(name)
    if not found:
        return None  # (a forbidden one is the extensions_absent rule's)
    values: dict[str, Value] = {"postgres.extensions": found}
    if re.search(r"\b(?:available|creatable|installable)\b", text, re.I):
        values["postgres.extensions_state"] = "available"  # shipped with the server, not necessarily created
    return values


def _setting(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    raw = match.group("value").strip()
    value: Value
    if raw[:1] in "'\"":
        value = raw.strip("'\"")
    elif re.fullmatch(r"-?\d+", raw):
        value = int(raw)
    elif re.fullmatch(r"-?\d+\.\d+", raw):
        value = float(raw)
    else:
        value = raw
    return {"postgres.settings": {match.group("name").lower(): value}}


def _pool(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    if in_context(sentence, r"pgbouncer|pooler|pool\s+mode|default\s+pool\s+size"):
        return None  # the pooler's own settings, not the application's pool
    return {"postgres.pool_size": int(first(match, "n", "n2"))}


_POOLER_KEYS = {
    "mode": "pgbouncer.pool_mode",
    "mcc": "pgbouncer.max_client_conn",
    "dps": "pgbouncer.default_pool_size",
}


def _pooler(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    if not in_context(sentence, r"\bpgbouncer\b"):
        return None  # another pooler's (or an application's) setting: not read from PgBouncer's console
    group = next(name for name in _POOLER_KEYS if match.group(name))
    value = match.group(group)
    return {_POOLER_KEYS[group]: value.lower() if group == "mode" else int(value)}


def _instances(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    # "2 per environment (4 total)" counts 4; a range "3-10" its upper end: every instance holds a pool.
    count = first(match, "total", "m", "m2", "m3", "m4", "n", "n3")
    return {"postgres.app_instances": int(count)}


_ABSENT_AFTER = (
    r"\s+extensions?\b[^.;]{0,20}?\b(?:must|may|should|shall)\s+(?:not|never)\s+be\s+"
    r"(?:installed|created|present)"
)


def _absent(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    """ "The `plpython3u` extension must not be installed", "no untrusted extensions such as plperlu"."""
    name = match.group("name").lower()
    return (
        None if name in {"the", "this", "that", "any", "an", "no"} else {"postgres.extensions_absent": [name]}
    )


def _partitioned(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    strategy = match.group("strategy") or match.group("strategy2")
    if not strategy and not in_context(sentence, r"\btables?\b|postgres|database|\bsql\b"):
        return None  # "the disk is partitioned": not a table
    entry: dict[str, object] = {"table": first(match, "table", "table2")}
    if strategy:
        entry["strategy"] = strategy.lower()
    key = match.group("key") or match.group("key2")
    if key and key.lower() not in {"the", "a", "an", "its", "their"}:
        entry["key"] = key.strip()
    return {"postgres.partitioned_tables": [entry]}


def _acl_users(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    if not in_context(sentence, r"\bredis\b|\bacl\b"):
        return None
    names = (u.strip(".") for u in re.split(r"\s*(?:,|\band\b)\s*", match.group("users")))
    users = [u for u in names if u and u.lower() != "default"]
    return {"redis.acl_users": list(users)} if users else None


_NOT_TABLES = {"all", "every", "each", "the", "tables", "table", "and", "our", "its"}


def _rls(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    tables = [t for t in re.split(r"\s*(?:,|\band\b)\s*", match.group("tables")) if t]
    if not tables or any(t.lower() in _NOT_TABLES for t in tables):
        return None
    values: dict[str, Value] = {"postgres.rls_tables": list(tables)}
    if re.search(r"\bforced?\b", sentence.text, re.I):
        values["postgres.rls_forced"] = True
    return values


def _appendonly(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    word = (match.group("v") or "").lower()
    if word:
        return {"redis.appendonly": word in {"yes", "true"}}
    if negated(sentence.text, match.start()):
        return {"redis.appendonly": False} if re.search(r"\bno\s+persistence", sentence.text, re.I) else None
    return {"redis.appendonly": True}


def _maxmemory(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    if match.group("n3") and not in_context(sentence, r"\bredis\b"):
        return None  # "2GB total capacity" says which server only through its context
    return {"redis.maxmemory": redis_size(first(match, "n", "n2", "n3"), first(match, "u", "u2", "u3"))}


_PG = r"\b(?:postgres(?:ql)?|pg)"
_REPLICAS = r"(?:instances|replicas|pods|tasks|containers)"
PG_VERSION = rule(
    "PostgreSQL version",
    rf"{_PG}(?:[\s:_-]*(?:version\s*[=:]?\s*)?)v?(?P<v>\d{{1,2}}(?:\.\d+)?)\b(?!\s*(?:gb|mb|%|ms|connections))",
    _version(9, 30, "postgres.version"),
)

PG_EXTENSIONS = rule("PostgreSQL extensions", "|".join(EXTENSIONS.values()), _extensions)

PG_SETTING = rule(
    "PostgreSQL setting (SQL)",
    r"^\s*(?:ALTER\s+(?:SYSTEM|DATABASE\s+\w+)\s+)?SET\s+(?P<name>[a-z_][a-z0-9_.]*)\s*(?:=|\bTO\b)\s*"
    r"(?P<value>'[^']*'|\"[^\"]*\"|[^;\s]+)",
    _setting,
)

PG_REQUIRE_SSL = rule(
    "PostgreSQL requires SSL",
    r"\b(?:database|db|postgres(?:ql)?)\s+connections?\s+(?:over|via|using|with|requires?)\s+(?:ssl|tls)\b"
    r"|\b(?:ssl|tls)\s+(?:is\s+)?(?:required|enforced|mandatory)\s+(?:for|on)\s+(?:the\s+|all\s+)?"
    r"(?:database|db|postgres)|\bsslmode\s*=\s*require\b|\bhostssl\b",
    lambda m, s: {"postgres.require_ssl": True},
)

PG_POOL_SIZE = rule(
    "application connection pool",
    r"\bconnection\s+pool\b[^.\d]{0,30}(?P<n>\d+)|(?:\b|_)pool[_ ]size\b[^.\d]{0,10}(?P<n2>\d+)",
    _pool,
)

PGBOUNCER_SETTING = rule(
    "PgBouncer setting",
    r"\bpool[_ ]mode\s*[:=]\s*(?P<mode>session|transaction|statement)\b"
    r"|\bmax(?:imum)?[_ ]client[_ ]conn(?:ections)?\s*[:=]\s*(?P<mcc>\d+)"
    r"|\bdefault[_ ]pool[_ ]size\s*[:=]\s*(?P<dps>\d+)",
    _pooler,
)

APP_INSTANCES = rule(
    "application instances",
    rf"\b{_REPLICAS}\b\s*[:|]?\s*(?P<n>\d+)(?:\s*[-\u2013]\s*(?P<m>\d+))?(?:[^.(]*\((?P<total>\d+)\s+total\))?"
    rf"|\bmax\s*replicas\s*[:=]\s*(?P<m2>\d+)"
    rf"|\b(?:runs?|with)\s+(?P<n3>\d+)(?:\s*[-\u2013]\s*(?P<m3>\d+))?\s+{_REPLICAS}\b"
    rf"|\((?P<n4>\d+)\s*[-\u2013]\s*(?P<m4>\d+)\s+{_REPLICAS}\)",
    _instances,
)

PG_RLS = rule(
    "row-level security",
    r"\brow[- ]level\s+security\b[^.;]*?\bon\s+"
    r"(?P<tables>[A-Za-z_][\w.]*(?:\s*(?:,|\band\b)\s*[A-Za-z_][\w.]*)*)",
    _rls,
)

PG_UUIDV7 = rule(
    "UUIDv7 function",
    r"\b(?P<f>uuidv7|uuid_generate_v7)\s*\(\)",
    lambda m, s: {"postgres.uuidv7": m.group("f")},
)

REDIS_VERSION = rule(
    "Redis version",
    r"\bredis(?:[\s:_-]*(?:version\s*[=:]?\s*)?)v?(?P<v>\d{1,2}(?:\.\d+)?)\b(?!\s*(?:gb|mb|%|ms))",
    _version(2, 20, "redis.version"),
)

REDIS_EVICTION = rule(
    "Redis eviction policy",
    r"\b(?P<p>noeviction|allkeys-lru|allkeys-lfu|allkeys-random|volatile-lru|volatile-lfu|volatile-random"
    r"|volatile-ttl)\b",
    lambda m, s: None if negated(s.text, m.start()) else {"redis.maxmemory_policy": m.group("p").lower()},
)

REDIS_AOF = rule(
    "Redis AOF persistence",
    r"\bappendonly\b\s*[:=]?\s*[\"']?(?P<v>yes|no|true|false)\b|\bAOF\b|\bno\s+persistence\b(?=[^.]*\bredis\b)"
    r"|(?<=redis\b)[^.]*\bno\s+persistence\b",
    _appendonly,
)

REDIS_FSYNC = rule(
    "Redis fsync policy",
    r"\bappendfsync\b\s*[:=]?\s*(?P<v>always|everysec|no)\b|\bfsync\s+every\s+second\b",
    lambda m, s: {"redis.appendfsync": (m.group("v") or "everysec").lower()},
)

REDIS_MAXMEMORY = rule(
    "Redis memory limit",
    rf"\bmaxmemory\b\s*[:=]?\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<u>{SIZE_UNIT})\b"
    rf"|\bredis\b[^.;]{{0,20}}?\((?P<n2>\d+)\s*(?P<u2>gb|mb|g|m)\b"
    rf"|(?<![\d.])(?P<n3>\d{{1,6}})\s*(?P<u3>gb|mb)\s+(?:total\s+)?(?:capacity|memory|ram|limit)\b",
    _maxmemory,
)

PG_EXTENSIONS_ABSENT = rule(
    "PostgreSQL extension absent",
    rf"\b(?:the\s+)?(?P<name>[a-z][a-z0-9_-]{{1,62}}){_ABSENT_AFTER}",
    _absent,
)
PG_SSLMODE = rule(
    "PostgreSQL client sslmode",
    r"\bsslmode\s*=\s*(?P<mode>verify-full|verify-ca)\b",
    lambda m, s: {"postgres.sslmode": m.group("mode").lower()},
)
PG_PARTITIONED = rule(
    "partitioned table",
    r"\b(?P<table>[a-z_][\w.]*)\s+(?:is|are)\s+partitioned\s+(?:by\s+(?P<strategy>range|list|hash)\b)?"
    r"(?:\s*(?:on|by|of)\s+(?P<key>[a-z_]\w*))?"
    r"|\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<table2>[a-z_][\w.]*)\b[^;]*?\bPARTITION\s+BY\s+"
    r"(?P<strategy2>RANGE|LIST|HASH)\s*\((?P<key2>[^)]{1,80})\)",
    _partitioned,
)
REDIS_DEFAULT_USER = rule(
    "Redis default user disabled",
    r"\bdefault\s+(?:redis\s+)?user\b[^.]{0,20}\b(?:is\s+)?(?:disabled|off|turned\s+off)\b"
    r"|\bACL\s+SETUSER\s+default\s+off\b",
    lambda m, s: (
        {"redis.default_user": "disabled", "redis.require_auth": True}
        if in_context(s, r"\bredis\b|\bacl\b")
        else None
    ),
)
REDIS_ACL_USERS = rule(
    "Redis ACL users",
    r"\b(?:acl\s+users?|authenticates?\s+as|logs?\s+in\s+as)\s+(?P<users>[\w.-]+(?:\s*(?:,|\band\b)\s*[\w.-]+)*)",
    _acl_users,
)
REDIS_AUTH = rule(
    "Redis requires authentication",
    r"\brequirepass\b|\bredis\b[^.]{0,40}\b(?:requires?|enforces?)\s+(?:auth\b|authentication|a\s+password)",
    lambda m, s: {"redis.require_auth": True},
)
