"""The ADR reader: every sentence with its file and line, tables, fenced blocks, lists and diagrams."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackcheck._exceptions import UsageError
from stackcheck.adr.model import Kind, Sentence
from stackcheck.adr.reader import read_document, read_text
from stackcheck.adr.text import repair_mojibake

DOC = """\
# ADR 7: Booking API

## Decision
The API runs on two nodes. Each node
keeps a pool of 10 connections.

**Alerting:**
- Error rate > 1%
  - paged at night
- p95 above 2 s

| Config | Dev | Staging | Production |
|--------|-----|---------|------------|
| **RATE_LIMIT** | None | 100/min | 60/min |

| Component | Purpose |
|---|---|
| Redis | sessions |

```yaml
redis:
  maxmemory-policy: allkeys-lru   # evict anything
  persistence:
    - AOF
```

```sql
-- tuned by the platform team
ALTER SYSTEM SET work_mem = '8MB';
```

```dockerfile
HEALTHCHECK --interval=30s \\
  CMD curl -f http://localhost/health || exit 1
USER app
```

```hcl
resource "aws_db_instance" "main" {
  engine_version = "16"
}
```

```mermaid
graph TD; A-->B
```

```python
def main():  # not read
    1. Receive SIGTERM
```
"""


def _by_line(sentences: list[Sentence]) -> dict[int, list[Sentence]]:
    out: dict[int, list[Sentence]] = {}
    for s in sentences:
        out.setdefault(s.line, []).append(s)
    return out


@pytest.fixture(scope="module")
def doc() -> dict[int, list[Sentence]]:
    return _by_line(read_text(DOC, "docs/adr/0007.md"))


def test_headings_are_sentences_and_the_path_of_what_follows(doc: dict[int, list[Sentence]]) -> None:
    assert doc[1][0].kind is Kind.HEADING and doc[1][0].text == "ADR 7: Booking API"
    assert doc[4][0].headings == ("ADR 7: Booking API", "Decision")
    assert doc[4][0].where == "docs/adr/0007.md:4"


def test_a_sentence_spanning_lines_starts_on_its_first_line(doc: dict[int, list[Sentence]]) -> None:
    assert [s.text for s in doc[4]] == [
        "The API runs on two nodes.",
        "Each node keeps a pool of 10 connections.",
    ]
    assert 5 not in doc


def test_list_items_hang_under_their_lead_in_and_parent_item(doc: dict[int, list[Sentence]]) -> None:
    assert doc[8][0].text == "Error rate > 1%" and doc[8][0].parents == ("Alerting:",)
    assert doc[9][0].parents == ("Alerting:", "Error rate > 1%")
    assert doc[10][0].parents == ("Alerting:",) and doc[10][0].kind is Kind.ITEM


def test_a_table_naming_environments_reads_one_sentence_per_column(doc: dict[int, list[Sentence]]) -> None:
    row = {s.env: s for s in doc[14]}
    assert set(row) == {"development", "staging", "production"}
    assert row["production"].text == "RATE_LIMIT: 60/min"
    assert row["production"].quoted == "RATE_LIMIT | None | 100/min | 60/min"


def test_other_tables_read_a_row_with_the_header_as_parent(doc: dict[int, list[Sentence]]) -> None:
    (row,) = doc[18]
    assert row.text == "Redis | sessions" and row.kind is Kind.ROW and row.parents == ("Component | Purpose",)


def test_yaml_leaves_carry_their_key_path_and_lose_trailing_comments(doc: dict[int, list[Sentence]]) -> None:
    (leaf,) = doc[22]
    assert leaf.text == "maxmemory-policy: allkeys-lru" and leaf.parents == ("redis",) and leaf.lang == "yaml"
    assert doc[24][0].text == "AOF" and doc[24][0].parents == ("redis", "persistence")


def test_sql_statements_and_comments(doc: dict[int, list[Sentence]]) -> None:
    assert doc[28][0].text == "tuned by the platform team"
    assert doc[29][0].text == "ALTER SYSTEM SET work_mem = '8MB';" and doc[29][0].parents == (
        "tuned by the platform team",
    )


def test_dockerfile_continuations_hang_under_their_instruction(doc: dict[int, list[Sentence]]) -> None:
    assert doc[34][0].parents == ("HEALTHCHECK --interval=30s",)
    assert doc[35][0].text == "USER app" and not doc[35][0].prose  # a statement: mapped, never manual


def test_hcl_attributes_hang_under_their_block(doc: dict[int, list[Sentence]]) -> None:
    assert doc[40][0].text == 'engine_version = "16"'
    assert doc[40][0].parents == ('resource "aws_db_instance" "main"',)


def test_diagrams_and_program_code_give_nothing_but_steps(doc: dict[int, list[Sentence]]) -> None:
    assert 45 not in doc  # mermaid
    assert 49 not in doc  # a Python statement
    assert doc[50][0].text == "Receive SIGTERM" and doc[50][0].prose


def test_mojibake_is_repaired_and_box_drawing_split_into_cells() -> None:
    broken = "│  - Health checks: /health  │ Port: 8501 │".encode().decode("cp1252", errors="replace")
    assert repair_mojibake(broken) == "│  - Health checks: /health  │ Port: 8501 │"
    text = "```\n" + broken + "\n```\n"
    assert [s.text for s in read_text(text, "d.md")] == ["Health checks: /health", "Port: 8501"]


def test_tree_diagram_lines_hang_under_the_less_indented_line() -> None:
    text = "```\nProduction\n  │\n  ├─ RTO: 1 hour\n  └─ RPO: 15 minutes\n\nStaging\n  └─ RTO: 4 hours\n```\n"
    sentences = {s.text: s for s in read_text(text, "d.md")}
    assert sentences["RPO: 15 minutes"].parents == ("Production",)
    assert sentences["RTO: 4 hours"].parents == ("Staging",)
    assert sentences["RTO: 4 hours"].line == 8


def test_a_missing_file_is_one_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope\.md: no such file"):
        read_document(tmp_path / "nope.md", "nope.md")


def test_a_directory_or_binary_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a directory"):
        read_document(tmp_path)
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\x00\x00\x01")
    with pytest.raises(UsageError, match="binary file"):
        read_document(binary)


def test_latin1_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "old.md"
    path.write_bytes("Budget: 20 \u20ac per month, caf\u00e9 included.\n".encode("cp1252"))
    assert read_document(path)[0].text == "Budget: 20 \u20ac per month, caf\u00e9 included."
