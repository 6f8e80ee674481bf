#!/usr/bin/env python3
"""Reads a file of citations with a real reader of its format and prints, as one JSON array,
what that reader found in each record: pmid, title, authors (people), groups (collective
names), journal, year and doi, and for a book its title (when the record is a part of it), editors
and publisher. Used by CitationReaderTests (Tests/PubMedMirrorTests/Citations).

    read_citations.py medline|ris|bibtex|csl-json FILE

medline: Bio.Medline (Biopython). ris: rispy. bibtex: bibtexparser 2 with its co-author and LaTeX-decoding
middlewares (pylatexenc). csl-json: citeproc-py's CiteProcJSON source, and a bibliography
rendered with the style citeproc-py ships (each item's rendered entry is printed too).
"""
import json
import re
import sys


def medline(path):
    from Bio import Medline
    out = []
    with open(path, encoding="utf-8") as handle:
        for record in Medline.parse(handle):
            ids = record.get("AID", []) + ([record["LID"]] if "LID" in record else [])
            dois = [value[: -len(" [doi]")] for value in ids if value.endswith(" [doi]")]
            out.append({
                "pmid": int(record["PMID"]),
                "title": record.get("TI"),
                "authors": record.get("FAU", []),
                # CN is not one of Bio.Medline's text fields: a wrapped group name comes in pieces.
                "groups": " ".join(record.get("CN", [])),
                "journal": record.get("JT"),
                "year": int(record["DP"][:4]) if re.match(r"\d{4}", record.get("DP", "")) else None,
                "doi": dois[0] if dois else None,
                # BTI and PB are not among Bio.Medline's text fields: lists of their lines.
                "book": " ".join(record["BTI"]) if "BTI" in record else None,
                "editors": record.get("FED", []),
                "publisher": " ".join(record["PB"]) if "PB" in record else None,
            })
    return out


def ris(path):
    import rispy
    with open(path, encoding="utf-8") as handle:
        entries = rispy.load(handle)
    return [{
        "pmid": int(entry["accession_number"]),
        "type": entry.get("type_of_reference"),
        "title": entry.get("title"),
        "authors": entry.get("authors", []),
        "journal": entry.get("alternate_title3"),
        "year": int(entry["year"]) if entry.get("year") else None,
        "doi": entry.get("doi"),
        "book": entry.get("secondary_title"),
        "editors": entry.get("secondary_authors", []),
        "publisher": entry.get("publisher"),
    } for entry in entries]


def bibtex(path):
    import bibtexparser
    from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors
    from pylatexenc.latex2text import LatexNodes2Text
    with open(path, encoding="utf-8") as handle:
        library = bibtexparser.parse_string(handle.read(), append_middleware=[SeparateCoAuthors(), LatexDecodingMiddleware()])
    if library.failed_blocks:
        raise SystemExit(f"bibtexparser could not parse {len(library.failed_blocks)} blocks")
    # The co-authors are split before LaTeX is decoded (a group's braces keep its "and"), and the
    # decoding middleware leaves lists alone: each name is decoded here, by the decoder it uses.
    decode = LatexNodes2Text().latex_to_text
    out = []
    for entry in library.entries:
        fields = entry.fields_dict
        value = lambda name: fields[name].value if name in fields else None
        out.append({
            "pmid": int(value("pmid")),
            "key": entry.key,
            "type": entry.entry_type,
            "title": value("title"),
            "authors": [decode(name) for name in value("author") or []],
            "journal": value("journal"),
            "year": int(value("year")) if value("year") else None,
            "doi": value("doi"),
            "book": value("booktitle"),
            "editors": [decode(name) for name in value("editor") or []],
            "publisher": value("publisher"),
        })
    return out


def csl_json(path):
    import os
    import citeproc
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    with open(path, encoding="utf-8") as handle:
        items = json.load(handle)
    source = CiteProcJSON(items)
    styles = os.path.join(os.path.dirname(citeproc.__file__), "data", "styles")
    style = CitationStylesStyle(os.path.join(styles, "harvard-cite-them-right.csl"), validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = {key: str(entry) for key, entry in zip(bibliography.keys, bibliography.bibliography())}
    out = []
    for item in items:
        reference = source[item["id"].lower()]
        names = reference.get("author", [])
        issued = reference.get("issued")
        out.append({
            "pmid": int(str(reference["PMID"])),
            "type": str(reference["type"]),
            "title": str(reference["title"]) if "title" in reference else None,
            "authors": [f"{name.get('family') or ''}, {name.get('given') or ''}" for name in names if "literal" not in name],
            "groups": " ".join(str(name["literal"]) for name in names if "literal" in name),
            "journal": str(reference["container_title"]) if "container_title" in reference else None,
            "year": int(issued["year"]) if issued else None,
            "doi": str(reference["DOI"]) if "DOI" in reference else None,
            "editors": [f"{name.get('family') or ''}, {name.get('given') or ''}" for name in reference.get("editor", [])],
            "publisher": str(reference["publisher"]) if "publisher" in reference else None,
            "rendered": rendered.get(item["id"].lower()),
        })
    return out


if __name__ == "__main__":
    readers = {"medline": medline, "ris": ris, "bibtex": bibtex, "csl-json": csl_json}
    json.dump(readers[sys.argv[1]](sys.argv[2]), sys.stdout, ensure_ascii=False)
