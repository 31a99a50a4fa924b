"""Synthetic proceedings volumes for the benchmark, made from the 2024 book's own text.

Sentences of the real Kazakh and Russian papers are shuffled (deterministically)
into papers of 2,500–3,500 words with sections, reference lists, citations and,
in every third paper, a table: realistic text for layout, at any volume size.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SENTENCE = re.compile(r"[^.!?]+[.!?]")


def _corpus(lang: str) -> list[str]:
    sentences: list[str] = []
    for paper in sorted((REPO / "sources" / "papers").glob("*/paper.md")):
        text = paper.read_text(encoding="utf-8")
        front, body = text.split("\n---\n", 1)
        if f"lang: {lang}" not in front:
            continue
        body = re.sub(r"\[[^\]]*\]|::\w+ \S+|^[-\d.)]+\s", "", body, flags=re.MULTILINE)
        for match in SENTENCE.finditer(body.replace("\n", " ")):
            sentence = match.group().strip()
            if 8 <= len(sentence.split()) <= 40 and not re.search(r"[*_#>{}\\]", sentence):
                sentences.append(sentence)
    return sentences


def _paragraph(rng: random.Random, corpus: list[str], words: int) -> str:
    out: list[str] = []
    while sum(len(s.split()) for s in out) < words:
        out.append(rng.choice(corpus))
    return " ".join(out)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_volume(folder: Path, papers: int, seed: int = 2024) -> None:
    """Write a sources folder with ``papers`` papers into ``folder``."""
    rng = random.Random(seed)
    corpora = {"kk": _corpus("kk"), "ru": _corpus("ru")}
    (folder / "papers").mkdir(parents=True, exist_ok=True)
    people = []
    ids = []
    for n in range(1, papers + 1):
        lang = "kk" if n % 3 == 0 else "ru"
        pid = f"p{n:03d}"
        ids.append(pid)
        authors = []
        for k in range(rng.randint(1, 3)):
            person = f"a{n:03d}-{k}"
            authors.append(person)
            surname = rng.choice(["Ахметов", "Сериков", "Иванова", "Нұрланов", "Петров", "Қасымова"])
            people.append(
                f"- id: {person}\n  names:\n"
                + "".join(
                    f"    {lg}:\n      surname: {surname}{n}\n      given: Асель Нурлановна\n"
                    f"      position: доцент\n      institution: Алматинская академия\n"
                    for lg in ("kk", "ru")
                )
            )
        corpus = corpora[lang]
        refs = [f"  - {_quote(_paragraph(rng, corpus, 14)[:160] + ' – Алматы, 2020. – 200 с.')}"
                for _ in range(rng.randint(10, 20))]
        body: list[str] = []
        total = rng.randint(2500, 3500)
        sections = rng.randint(3, 5)
        for s in range(sections):
            body.append(f"## {_paragraph(rng, corpus, 4)[:60].rstrip('.')}")
            for _ in range(max(1, total // sections // 120)):
                para = _paragraph(rng, corpus, 120)
                body.append(f"{para} [{rng.randint(1, len(refs))}]")
            if n % 3 == 1 and s == 1:
                body.append("::table t1")
        table = ""
        if n % 3 == 1:
            rows = "\n".join(
                f"      - [\"{_paragraph(rng, corpus, 3)[:30]}\", \"{rng.randint(1, 900)}\", "
                f"\"{rng.randint(1, 900)}\", \"{rng.randint(1, 900)}\"]"
                for _ in range(6)
            )
            table = (
                "tables:\n  - id: t1\n    caption: Статистика\n    header:\n"
                "      - [\"Показатель\", \"2021\", \"2022\", \"2023\"]\n    rows:\n" + rows + "\n"
            )
        title = _paragraph(rng, corpus, 8)[:110].rstrip(".")
        front = (
            f"---\nlang: {lang}\nauthors:\n" + "".join(f"  - person: {a}\n" for a in authors)
            + f"title: {_quote(title)}\nabstract: {_quote(_paragraph(rng, corpus, 40))}\n"
            + "references:\n" + "\n".join(refs) + "\n" + table + "---\n"
        )
        (folder / "papers" / pid).mkdir(exist_ok=True)
        (folder / "papers" / pid / "paper.md").write_text(front + "\n\n".join(body) + "\n", encoding="utf-8")
    (folder / "people.yaml").write_text("".join(people), encoding="utf-8")
    (folder / "book.yaml").write_text(
        "languages: [kk, ru]\n"
        "title: {kk: Синтетикалық жинақ, ru: Синтетический сборник}\n"
        "type: {kk: конференция, ru: конференция}\n"
        "date: 2024-09-20\n"
        f"papers: [{', '.join(ids)}]\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    import sys

    make_volume(Path(sys.argv[1]), int(sys.argv[2]))
