#!/usr/bin/env python3
"""Independent oracle for the PubMed query language of `pubmed-mirror search`.

Reads PubMed XML files (gzip or plain) with the Python standard library only
(xml.etree.ElementTree.iterparse), keeps the current version of every PMID and
evaluates queries as set operations over per-record token sets.  It shares
nothing with the Swift implementation: it is written from the specification in
README.md, so that disagreements point at a bug on one side or the other.

Usage:
    python3 pubmed_query_oracle.py --query-file QUERIES.tsv FILE.xml.gz [...]
        prints one JSON line per query: {"id": ..., "pmids": [...]} or
        {"id": ..., "error": "..."}
    python3 pubmed_query_oracle.py --query 'QUERY' FILE.xml.gz [...]
        prints the sorted PMIDs one per line (exit 64 and a message on stderr
        for an invalid query)
"""

import argparse
import bisect
import calendar
import datetime
import functools
import gzip
import hashlib
import json
import os
import pickle
import re
import sys
import tempfile
import unicodedata
import xml.etree.ElementTree as ET

# ---------------------------------------------------------------------------
# Text normalisation
# ---------------------------------------------------------------------------

_WORD_RE = re.compile(r"\w+")
_ALNUM_RE = re.compile(r"[^\W_]+")
_WS_RE = re.compile(r"\s+")


def normalize(text):
    """NFD, drop combining marks, casefold: accents go, compatibility characters (such as the
    degree sign in one character, or a vulgar fraction) stay what they are, as SQLite's unicode61
    tokenizer with remove_diacritics does."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold()


def words(text):
    return _WORD_RE.findall(normalize(text))


@functools.lru_cache(maxsize=1 << 18)
def code(text):
    """A value's code: its letter/digit runs joined by '_'."""
    return "_".join(_ALNUM_RE.findall(normalize(text)))


KNOWN_SUBSETS = {"medline", "oldmedline", "pubmednotmedline", "inprocess", "indatareview", "publisher",
                 "completed", "hasabstract", "pmc", "pubmedpmc", "books"}


def sb_code(text):
    return "".join(_ALNUM_RE.findall(normalize(text)))


def flat(elem):
    """All text of an element including inline markup, whitespace collapsed."""
    if elem is None:
        return ""
    if len(elem) == 0:
        t = elem.text or ""
    else:
        t = "".join(elem.itertext())
    # Whitespace runs are one space; words and codes do not depend on it.
    return t.strip()


def ftext(parent, path):
    if parent is None:
        return ""
    e = parent.find(path)
    return flat(e) if e is not None else ""


# ---------------------------------------------------------------------------
# Dates: a date is a closed interval of proleptic ordinals (start, end)
# ---------------------------------------------------------------------------

MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}


def period(year, month=None, day=None):
    """Interval for a year / month / day, or None when invalid."""
    try:
        if month is None:
            return (datetime.date(year, 1, 1).toordinal(),
                    datetime.date(year, 12, 31).toordinal())
        if day is None:
            last = calendar.monthrange(year, month)[1]
            return (datetime.date(year, month, 1).toordinal(),
                    datetime.date(year, month, last).toordinal())
        d = datetime.date(year, month, day).toordinal()
        return (d, d)
    except (ValueError, OverflowError):
        return None


def _int(s):
    s = (s or "").strip()
    return int(s) if s.isdigit() else None


def _month(s):
    s = (s or "").strip()
    if not s:
        return None
    if s.isdigit():
        m = int(s)
        return m if 1 <= m <= 12 else None
    return MONTHS.get(s[:3].lower())


def record_date(elem):
    """Year/Month/Day element (PubDate, ArticleDate, History, ...)."""
    if elem is None:
        return None
    y = _int(ftext(elem, "Year"))
    if y is None:
        md = ftext(elem, "MedlineDate")
        if not md:
            return None
        m = re.search(r"\d{4}", md)
        if not m:
            return None
        y = int(m.group(0))
        parts = md.split()
        month = None
        if len(parts) >= 2:
            month = MONTHS.get(parts[1][:3].lower()) if len(parts[1]) >= 3 else None
        return period(y, month) if month else period(y)
    month = _month(ftext(elem, "Month"))
    if month is None:
        return period(y)
    day = _int(ftext(elem, "Day"))
    if day is None:
        return period(y, month)
    return period(y, month, day) or period(y, month)


_QDATE_RE = re.compile(r"^(\d{4})(?:[/.-](\d{1,2})(?:[/.-](\d{1,2}))?)?$")


class QueryError(Exception):
    pass


def query_date(s):
    s = s.strip()
    m = _QDATE_RE.match(s)
    if not m:
        raise QueryError("bad date %r" % s)
    y = int(m.group(1))
    mo = int(m.group(2)) if m.group(2) else None
    d = int(m.group(3)) if m.group(3) else None
    p = period(y, mo, d)
    if p is None:
        raise QueryError("bad date %r" % s)
    return p


def query_span(text):
    text = text.strip()
    if ":" in text:
        a, _, b = text.partition(":")
        if ":" in b:
            raise QueryError("bad date range %r" % text)
        return (query_date(a)[0], query_date(b)[1])
    return query_date(text)


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------

WORD_COLUMNS = ("ti", "ab", "ot", "mhw", "tx", "aw", "jw", "ad", "gr", "cn")
DATE_FIELDS = ("dp", "crdt", "edat", "mhda", "dcom", "lr")


class Record:
    __slots__ = ("pmid", "cols", "values", "persons", "dates")


def _persons(elems):
    out = []
    for a in elems:
        last = ftext(a, "LastName")
        out.append({
            "last": last,
            "fore": ftext(a, "ForeName"),
            "init": ftext(a, "Initials"),
            "cn": ftext(a, "CollectiveName"),
            "aff": [flat(x) for x in a.findall("AffiliationInfo/Affiliation")],
            "orcid": [flat(x) for x in a.findall("Identifier")
                      if x.get("Source") == "ORCID"],
        })
    return out


def _strip_orcid(s):
    s = s.strip()
    low = s.lower()
    for p in ("https://orcid.org/", "http://orcid.org/"):
        if low.startswith(p):
            s = s[len(p):]
            break
    return s.rstrip("/")


def build_record(elem):
    """Extract everything the query language needs from one citation element."""
    is_book = elem.tag == "PubmedBookArticle"
    rec = Record()
    values = {}
    cols = {}
    dates = {f: [] for f in DATE_FIELDS}

    def addv(field, v):
        c = code(v)
        if c:
            values.setdefault(field, set()).add(c)

    if is_book:
        doc = elem.find("BookDocument")
        data = elem.find("PubmedBookData")
        pmid_e = doc.find("PMID")
        book = doc.find("Book")
        title = ftext(doc, "ArticleTitle") or ftext(book, "BookTitle")
        abstract_elems = doc.findall("Abstract/AbstractText")
        other_abs = doc.findall("OtherAbstract/AbstractText")
        keyword_elems = doc.findall("KeywordList/Keyword")
        mesh = []
        pts = [flat(x) for x in doc.findall("PublicationType")]
        chems = []
        author_lists = [al for al in doc.findall("AuthorList")
                        if al.get("Type") != "editors"]
        authors = _persons([a for al in author_lists for a in al.findall("Author")])
        investigators = _persons(doc.findall("InvestigatorList/Investigator"))
        jtitle = jiso = jta = ""
        issns = []
        langs = [flat(x) for x in doc.findall("Language")]
        grants = doc.findall("GrantList/Grant")
        art_id_elems = (doc.findall("ArticleIdList/ArticleId")
                        + (data.findall("ArticleIdList/ArticleId") if data is not None else []))
        elocs = [flat(x) for x in doc.findall("ELocationID")]
        pub_dates = [record_date(book.find("PubDate") if book is not None else None)]
        article_dates = [record_date(x) for x in doc.findall("ArticleDate")]
        history = data.findall("History/PubMedPubDate") if data is not None else []
        dcom = lr = None
        lr = record_date(doc.find("DateRevised"))
        vol = ftext(book, "Volume")
        issue = ""
        pg = ""
        jid = ""
        subsets = {"books"}
        status_subsets = set()
        citation_subsets = []
    else:
        mc = elem.find("MedlineCitation")
        data = elem.find("PubmedData")
        art = mc.find("Article")
        pmid_e = mc.find("PMID")
        journal = art.find("Journal")
        title = ftext(art, "ArticleTitle")
        abstract_elems = art.findall("Abstract/AbstractText")
        other_abs = mc.findall("OtherAbstract/AbstractText")
        keyword_elems = mc.findall("KeywordList/Keyword")
        mesh = mc.findall("MeshHeadingList/MeshHeading")
        pts = [flat(x) for x in art.findall("PublicationTypeList/PublicationType")]
        chems = mc.findall("ChemicalList/Chemical")
        authors = _persons(art.findall("AuthorList/Author"))
        investigators = _persons(mc.findall("InvestigatorList/Investigator"))
        jtitle = ftext(journal, "Title")
        jiso = ftext(journal, "ISOAbbreviation")
        jta = ftext(mc, "MedlineJournalInfo/MedlineTA")
        issns = [flat(x) for x in journal.findall("ISSN")] if journal is not None else []
        issns += [flat(x) for x in mc.findall("MedlineJournalInfo/ISSNLinking")]
        langs = [flat(x) for x in art.findall("Language")]
        grants = art.findall("GrantList/Grant")
        art_id_elems = data.findall("ArticleIdList/ArticleId") if data is not None else []
        elocs = [flat(x) for x in art.findall("ELocationID")]
        pub_dates = [record_date(journal.find("JournalIssue/PubDate")
                                 if journal is not None else None)]
        article_dates = [record_date(x) for x in art.findall("ArticleDate")]
        history = data.findall("History/PubMedPubDate") if data is not None else []
        dcom = record_date(mc.find("DateCompleted"))
        lr = record_date(mc.find("DateRevised"))
        vol = ftext(journal, "JournalIssue/Volume")
        issue = ftext(journal, "JournalIssue/Issue")
        pg = ftext(art, "Pagination/MedlinePgn") or ftext(art, "Pagination/StartPage")
        jid = ftext(mc, "MedlineJournalInfo/NlmUniqueID")
        subsets = set()
        status = mc.get("Status") or ""
        status_subsets = set()
        if status in ("MEDLINE", "OLDMEDLINE"):
            status_subsets.add("medline")
            if status == "OLDMEDLINE":
                status_subsets.add("oldmedline")
        elif status:
            status_subsets.add(sb_code(status))
        citation_subsets = [flat(x) for x in mc.findall("CitationSubset")]

    rec.pmid = int(flat(pmid_e))

    # ---- word columns ----
    cols["ti"] = title
    cols["ab"] = "\n".join([flat(x) for x in abstract_elems] + [flat(x) for x in other_abs])
    cols["ot"] = "; ".join(flat(x) for x in keyword_elems)
    mh_parts = []
    for h in mesh:
        mh_parts.append(ftext(h, "DescriptorName"))
        mh_parts.extend(flat(q) for q in h.findall("QualifierName"))
    cols["mhw"] = "; ".join(mh_parts)
    chem_names = [ftext(c, "NameOfSubstance") for c in chems]
    cols["tx"] = "; ".join(pts + chem_names)
    aw = []
    for p in authors:
        if p["cn"]:
            continue
        aw.append(" ".join(x for x in (p["last"], p["fore"], p["init"]) if x))
    cols["aw"] = "; ".join(aw)
    cols["jw"] = "; ".join(x for x in (jtitle, jiso, jta) if x)
    cols["ad"] = "\n".join(a for p in authors + investigators for a in p["aff"])
    cols["gr"] = "; ".join(
        " ".join(x for x in (ftext(g, "GrantID"), ftext(g, "Acronym"), ftext(g, "Agency")) if x)
        for g in grants)
    cols["cn"] = "; ".join(p["cn"] for p in authors + investigators if p["cn"])
    # each column as its words joined by single spaces (compact to pickle)
    rec.cols = {k: " ".join(words(v)) for k, v in cols.items() if v}

    # ---- value fields ----
    def person_codes(plist):
        au, fau = [], []
        for p in plist:
            if not p["last"]:
                continue
            au.append(code(p["last"]) + "__" + code(p["init"]))
            fau.append(code(p["last"]) + "__" + code(p["fore"]))
        return au, fau

    au, fau = person_codes(authors)
    ir, fir = person_codes(investigators)
    persons = {"au": set(au), "fau": set(fau), "ir": set(ir), "fir": set(fir),
               "1au": set(au[:1]), "lastau": set(au[-1:])}
    rec.persons = persons

    for h in mesh:
        d = h.find("DescriptorName")
        dname = flat(d)
        dmaj = d.get("MajorTopicYN") == "Y"
        dcode = code(dname)
        addv("mh", dname)
        quals = h.findall("QualifierName")
        anymaj = dmaj
        for q in quals:
            qcode = code(flat(q))
            qmaj = q.get("MajorTopicYN") == "Y"
            anymaj = anymaj or qmaj
            values.setdefault("sh", set()).add(qcode)
            values.setdefault("mhq", set()).add(dcode + "/" + qcode)
            if dmaj or qmaj:
                values.setdefault("majrq", set()).add(dcode + "/" + qcode)
        if anymaj:
            values.setdefault("majr", set()).add(dcode)
    for v in pts:
        addv("pt", v)
    for v in langs:
        addv("la", v)
    for v in (jta, jiso, jtitle):
        if v:
            addv("ta", v)
    for v in issns:
        addv("ta", v)
        addv("is", v)
    if jid:
        addv("jid", jid)
    if vol:
        addv("vi", vol)
    if issue:
        addv("ip", issue)
    if pg:
        addv("pg", pg.split("-", 1)[0])
    for c in chems:
        addv("nm", ftext(c, "NameOfSubstance"))
        rn = ftext(c, "RegistryNumber")
        if rn and rn != "0":
            addv("rn", rn)
    addv("pmid", str(rec.pmid))
    has_pmc = False
    for a in art_id_elems:
        addv("aid", flat(a))
        if a.get("IdType") == "pmc":
            has_pmc = True
    for v in elocs:
        addv("lid", v)
    for p in authors + investigators:
        for o in p["orcid"]:
            addv("auid", _strip_orcid(o))
    # subsets
    sb = set(subsets) | status_subsets
    for c in citation_subsets:
        sb.add("jsubset" + sb_code(c))
    if abstract_elems:
        sb.add("hasabstract")
    if has_pmc:
        sb.update(("pmc", "pubmedpmc"))
    values["sb"] = sb
    rec.values = values

    # ---- dates ----
    dates["dp"] = [d for d in pub_dates + article_dates if d]
    hist = {}
    for h in history:
        st = h.get("PubStatus")
        if st not in hist:
            hist[st] = record_date(h)
    entrez = hist.get("entrez")
    edat = hist.get("pubmed") or entrez
    mhda = hist.get("medline") or edat
    for f, d in (("crdt", entrez), ("edat", edat), ("mhda", mhda), ("dcom", dcom), ("lr", lr)):
        if d:
            dates[f] = [d]
    rec.dates = dates
    return rec


def load(files):
    versions = {}   # pmid -> {version: Record}
    for path in files:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as fh:
            for event, elem in ET.iterparse(fh, events=("end",)):
                tag = elem.tag
                if tag in ("PubmedArticle", "PubmedBookArticle"):
                    if tag == "PubmedArticle":
                        pe = elem.find("MedlineCitation/PMID")
                    else:
                        pe = elem.find("BookDocument/PMID")
                    version = int(pe.get("Version") or "1")
                    rec = build_record(elem)
                    versions.setdefault(rec.pmid, {})[version] = rec
                    elem.clear()
                elif tag == "DeleteCitation":
                    for pe in elem.findall("PMID"):
                        pmid = int(flat(pe))
                        version = int(pe.get("Version") or "1")
                        vs = versions.get(pmid)
                        if vs is not None:
                            vs.pop(version, None)
                            if not vs:
                                del versions[pmid]
                    elem.clear()
    return {pmid: vs[max(vs)] for pmid, vs in versions.items() if vs}


# ---------------------------------------------------------------------------
# Index
# ---------------------------------------------------------------------------

class Index:
    def __init__(self, records):
        self.records = records
        self.all = set(records)
        self.words = {c: {} for c in WORD_COLUMNS}
        self.values = {}
        self.persons = {}
        for pmid, r in records.items():
            for c, ws in r.cols.items():
                d = self.words[c]
                for w in set(ws.split()):
                    d.setdefault(w, set()).add(pmid)
            for f, vs in r.values.items():
                d = self.values.setdefault(f, {})
                for v in vs:
                    d.setdefault(v, set()).add(pmid)
            for f, vs in r.persons.items():
                d = self.persons.setdefault(f, {})
                for v in vs:
                    d.setdefault(v, set()).add(pmid)
        self._sorted = {}

    def sorted_keys(self, kind, name):
        key = (kind, name)
        if key not in self._sorted:
            src = {"w": self.words, "v": self.values, "p": self.persons}[kind]
            self._sorted[key] = sorted(src.get(name, {}))
        return self._sorted[key]

    def prefix_keys(self, kind, name, prefix):
        keys = self.sorted_keys(kind, name)
        i = bisect.bisect_left(keys, prefix)
        out = []
        while i < len(keys) and keys[i].startswith(prefix):
            out.append(keys[i])
            i += 1
        return out

    # -- word fields --
    def word_postings(self, col, w, prefix=False):
        d = self.words[col]
        if not prefix:
            return d.get(w, set())
        out = set()
        for k in self.prefix_keys("w", col, w):
            out |= d[k]
        return out

    def phrase(self, cols, ws, truncated):
        result = set()
        for col in cols:
            if len(ws) == 1:
                result |= self.word_postings(col, ws[0], truncated)
                continue
            cand = None
            for i, w in enumerate(ws):
                p = self.word_postings(col, w, truncated and i == len(ws) - 1)
                cand = p if cand is None else cand & p
                if not cand:
                    break
            n = len(ws)
            for pmid in cand or ():
                seq = self.records[pmid].cols[col].split()
                for s in range(len(seq) - n + 1):
                    ok = True
                    for j in range(n):
                        t = seq[s + j]
                        if j == n - 1 and truncated:
                            if not t.startswith(ws[j]):
                                ok = False
                                break
                        elif t != ws[j]:
                            ok = False
                            break
                    if ok:
                        result.add(pmid)
                        break
        return result

    def near(self, cols, ws, n):
        uniq = list(dict.fromkeys(ws))
        result = set()
        for col in cols:
            cand = None
            for w in uniq:
                p = self.word_postings(col, w)
                cand = p if cand is None else cand & p
            for pmid in cand or ():
                if pmid in result:
                    continue
                seq = self.records[pmid].cols[col].split()
                if _near_match(seq, uniq, n):
                    result.add(pmid)
        return result


def _near_match(seq, ws, n):
    """Some window holding every word with at most n other tokens between the
    first and the last of the chosen occurrences."""
    want = {w: i for i, w in enumerate(ws)}
    occ = [(pos, want[t]) for pos, t in enumerate(seq) if t in want]
    k = len(ws)
    counts = [0] * k
    have = 0
    lo = 0
    for hi in range(len(occ)):
        wi = occ[hi][1]
        if counts[wi] == 0:
            have += 1
        counts[wi] += 1
        while have == k:
            if occ[hi][0] - occ[lo][0] - 1 <= n:
                return True
            wl = occ[lo][1]
            counts[wl] -= 1
            if counts[wl] == 0:
                have -= 1
            lo += 1
    return False


# ---------------------------------------------------------------------------
# Query language
# ---------------------------------------------------------------------------

DEFAULT_COLS = ("ti", "ab", "ot", "mhw", "tx", "aw", "jw")
WORD_FIELDS = {
    "tiab": ("ti", "ab", "ot"),
    "ti": ("ti",),
    "ab": ("ab",),
    "tw": ("ti", "ab", "ot", "mhw", "tx", "cn"),
    "all": WORD_COLUMNS,
    "ad": ("ad",),
    "affl": ("ad",),
    "ot": ("ot",),
    "gr": ("gr",),
    "cn": ("cn",),
}
PROXIMITY_FIELDS = ("tiab", "ti", "ad")
VALUE_FIELDS = {
    "mh": "mh", "mh:noexp": "mh", "majr": "majr", "sh": "sh", "pt": "pt",
    "la": "la", "ta": "ta", "jour": "ta", "jid": "jid", "is": "is", "vi": "vi",
    "ip": "ip", "pg": "pg", "nm": "nm", "rn": "rn", "pmid": "pmid", "uid": "pmid",
    "aid": "aid", "lid": "lid", "auid": "auid", "sb": "sb",
}
PERSON_FIELDS = {"au": "au", "1au": "1au", "lastau": "lastau", "ir": "ir",
                 "fau": "fau", "fir": "fir"}
DATE_TAGS = {"dp": "dp", "pdat": "dp", "crdt": "crdt", "edat": "edat",
             "mhda": "mhda", "dcom": "dcom", "lr": "lr"}
# PubMed's long tag names (the help of pubmed-mirror says "long or short").
LONG_TAGS = {
    "title/abstract": "tiab", "title": "ti", "abstract": "ab", "text word": "tw",
    "all fields": "all", "affiliation": "ad", "other term": "ot", "grant number": "gr",
    "corporate author": "cn", "author": "au", "author - first": "1au",
    "author - last": "lastau", "investigator": "ir", "author - full": "fau",
    "full investigator name": "fir", "mesh terms": "mh", "mesh terms:noexp": "mh",
    "mesh major topic": "majr", "mesh subheading": "sh", "publication type": "pt",
    "language": "la", "journal": "ta", "nlm unique id": "jid", "issn": "is",
    "volume": "vi", "issue": "ip", "pagination": "pg", "supplementary concept": "nm",
    "ec/rn number": "rn", "pmid": "pmid", "article identifier": "aid",
    "location id": "lid", "author identifier": "auid", "subset": "sb",
    "filter": "sb", "date - publication": "dp", "publication date": "dp",
    "date - create": "crdt", "date - entry": "edat", "date - mesh": "mhda",
    "date - completion": "dcom", "date - modification": "lr",
}
LANGUAGES = {
    "english": "eng", "french": "fre", "german": "ger", "spanish": "spa",
    "italian": "ita", "japanese": "jpn", "russian": "rus", "chinese": "chi",
    "portuguese": "por", "dutch": "dut", "polish": "pol", "swedish": "swe",
    "danish": "dan", "norwegian": "nor", "finnish": "fin", "czech": "cze",
    "hungarian": "hun", "hebrew": "heb", "korean": "kor", "turkish": "tur",
    "greek": "gre", "romanian": "rum", "serbian": "srp", "croatian": "hrv",
    "slovak": "slo", "slovenian": "slv", "bulgarian": "bul", "ukrainian": "ukr",
    "arabic": "ara", "persian": "per", "lithuanian": "lit", "latvian": "lav",
    "estonian": "est", "icelandic": "ice", "afrikaans": "afr", "latin": "lat",
    "catalan": "cat", "indonesian": "ind", "thai": "tha", "vietnamese": "vie",
    "malay": "may", "hindi": "hin", "urdu": "urd",
}
LEGACY = {"title": "ti", "abstract": "ab", "author": "au", "authors": "au",
          "mesh": "mh", "journal": "ta", "type": "pt", "keyword": "ot",
          "keywords": "ot"}
_LEGACY_RE = re.compile(r"^([A-Za-z]+):(.*)$", re.S)


def canonical_tag(raw):
    t = _WS_RE.sub(" ", raw.strip().lower())
    if t in LONG_TAGS:
        t = LONG_TAGS[t]
    m = re.match(r"^(.*):~(\d+)$", t)
    if m:
        base = LONG_TAGS.get(m.group(1).strip(), m.group(1).strip())
        if base not in PROXIMITY_FIELDS:
            raise QueryError("no proximity search for [%s]" % raw)
        return ("near", base, int(m.group(2)))
    if t in WORD_FIELDS or t in VALUE_FIELDS or t in PERSON_FIELDS or t in DATE_TAGS:
        return t
    raise QueryError("unknown field tag [%s]" % raw)


# tokens: (kind, value)  kinds: ( ) OP PHRASE TAG COLON WORD LEGACY
def tokenize(q):
    toks = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append((c, c))
            i += 1
        elif c == '"':
            j = q.find('"', i + 1)
            if j < 0:
                raise QueryError("unbalanced quote")
            toks.append(("PHRASE", q[i + 1:j]))
            i = j + 1
        elif c == "[":
            j = q.find("]", i + 1)
            if j < 0:
                raise QueryError("unbalanced bracket")
            toks.append(("TAG", canonical_tag(q[i + 1:j])))
            i = j + 1
        elif c == "]":
            raise QueryError("unbalanced bracket")
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in '()"[]':
                j += 1
            w = q[i:j]
            i = j
            if w in ("AND", "OR", "NOT"):
                toks.append(("OP", w))
            elif w == ":":
                toks.append(("COLON", w))
            else:
                m = _LEGACY_RE.match(w)
                if m and (m.group(1).lower() in LEGACY or m.group(1).lower() == "year"):
                    field = m.group(1).lower()
                    rest = m.group(2)
                    if rest == "" and i < n and q[i] == '"':
                        j = q.find('"', i + 1)
                        if j < 0:
                            raise QueryError("unbalanced quote")
                        rest = q[i + 1:j]
                        i = j + 1
                        toks.append(("LEGACY", (field, rest, True)))
                    elif rest == "":
                        raise QueryError("empty %s: term" % field)
                    else:
                        toks.append(("LEGACY", (field, rest, False)))
                else:
                    toks.append(("WORD", w))
    return toks


class Term:
    __slots__ = ("text", "tag", "quoted", "range_to")

    def __init__(self, text, tag, quoted):
        self.text, self.tag, self.quoted, self.range_to = text, tag, quoted, None


class Parser:
    def __init__(self, toks):
        self.toks = toks
        self.i = 0

    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else (None, None)

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def parse(self):
        if not self.toks:
            raise QueryError("empty query")
        e = self.expr()
        if self.peek()[0] is not None:
            raise QueryError("unexpected %r" % (self.peek()[1],))
        return e

    def expr(self):
        left = self.operand()
        while True:
            k, v = self.peek()
            if k == "OP":
                self.take()
                if self.peek()[0] in (None, ")", "OP", "TAG", "COLON"):
                    raise QueryError("%s without right operand" % v)
                left = (v, left, self.operand())
            elif k in (None, ")"):
                return left
            else:
                left = ("AND", left, self.operand())

    def maybe_range(self, term):
        """split date form  A[tag] : B[tag]"""
        if self.peek()[0] != "COLON":
            return term
        self.take()
        if not isinstance(term, Term) or term.tag not in DATE_TAGS:
            raise QueryError("':' outside a date range")
        other = self.operand_term()
        if not isinstance(other, Term) or other.tag != term.tag or other.range_to is not None:
            raise QueryError("bad date range")
        term.range_to = other.text
        return term

    def operand_term(self):
        k, v = self.peek()
        if k == "PHRASE":
            self.take()
            if self.peek()[0] == "TAG":
                return Term(v, self.take()[1], True)
            return Term(v, None, True)
        if k == "WORD":
            run = []
            j = 0
            while self.peek(j)[0] == "WORD":
                run.append(self.peek(j)[1])
                j += 1
            if self.peek(j)[0] == "TAG":
                self.i += j
                return Term(" ".join(run), self.take()[1], False)
            # Untagged words side by side are one operand, the words ANDed: `cancer OR breast
            # neoplasms` is cancer OR (breast AND neoplasms).
            self.i += j
            node = Term(run[0], None, False)
            for word in run[1:]:
                node = ("AND", node, Term(word, None, False))
            return node
        return None

    def operand(self):
        k, v = self.peek()
        if k == "(":
            self.take()
            if self.peek()[0] == ")":
                raise QueryError("empty parentheses")
            e = self.expr()
            if self.take()[0] != ")":
                raise QueryError("unbalanced parenthesis")
            if self.peek()[0] == "TAG":
                e = apply_tag(e, self.take()[1])
            return e
        if k == "LEGACY":
            self.take()
            field, rest, quoted = v
            if field == "year":
                return legacy_year(rest)
            return Term(rest, LEGACY[field], quoted)
        if k in ("PHRASE", "WORD"):
            t = self.operand_term()
            t = self.maybe_range(t)
            if self.peek()[0] == "TAG":
                raise QueryError("two field tags on one term")
            return t
        if k is None:
            raise QueryError("missing operand")
        if k == ")":
            raise QueryError("unbalanced parenthesis")
        raise QueryError("unexpected %r" % (v,))


def legacy_year(rest):
    m = re.match(r"^(\d{4})?(\.\.)?(\d{4})?$", rest)
    if not m or (not m.group(1) and not m.group(3)):
        raise QueryError("bad year: %r" % rest)
    a, dots, b = m.group(1), m.group(2), m.group(3)
    if not dots:
        if b:
            raise QueryError("bad year: %r" % rest)
        return Term(a, "dp", False)
    t = Term(a or "0001", "dp", False)
    t.range_to = b or "9999"
    return t


def apply_tag(e, tag):
    if isinstance(e, Term):
        if e.tag is None:
            e.tag = tag
        return e
    op, l, r = e
    return (op, apply_tag(l, tag), apply_tag(r, tag))


def evaluate(e, ix):
    if isinstance(e, Term):
        return eval_term(e, ix)
    op, l, r = e
    a = evaluate(l, ix)
    b = evaluate(r, ix)
    if op == "AND":
        return a & b
    if op == "OR":
        return a | b
    return a - b


def eval_term(t, ix):
    tag = t.tag
    text = t.text
    if t.range_to is not None:
        span = (query_span(text)[0], query_span(t.range_to)[1])
        return eval_date(ix, DATE_TAGS[tag], span)
    if tag in DATE_TAGS:
        return eval_date(ix, DATE_TAGS[tag], query_span(text))
    truncated = text.rstrip().endswith("*")
    if truncated:
        text = text.rstrip()[:-1]
    if isinstance(tag, tuple):           # proximity
        _, base, n = tag
        if truncated:
            raise QueryError("truncation in a proximity search")
        ws = words(text)
        if len(ws) < 2:
            # PubMed: "Search terms = two or more words" (NLM Tech Bull 2022;449:e4)
            raise QueryError("a proximity search needs two or more words")
        return ix.near(WORD_FIELDS[base], ws, n)
    if tag is None or tag in WORD_FIELDS:
        cols = DEFAULT_COLS if tag is None else WORD_FIELDS[tag]
        ws = words(text)
        if not ws:
            raise QueryError("term without words: %r" % t.text)
        if truncated and len(ws[-1]) < 4:
            raise QueryError("truncation needs at least 4 characters: %r" % t.text)
        return ix.phrase(cols, ws, truncated)
    if tag in PERSON_FIELDS:
        return eval_person(ix, PERSON_FIELDS[tag], text, truncated, t.quoted)
    field = VALUE_FIELDS[tag]
    if field == "sb":
        c = sb_code(text)
        # PubMed's all[sb]: every citation.
        if c == "all" and not truncated:
            return set(ix.all)
        # Only the subsets the records themselves tell; any other PubMed filter is an error.
        if not truncated and c not in KNOWN_SUBSETS and not (c.startswith("jsubset") and len(c) > 7):
            raise QueryError("%r[sb] cannot be computed from the records" % text)
        return _value_lookup(ix, "v", "sb", c, truncated)
    if field == "auid":
        c = code(_strip_orcid(text))
        return _value_lookup(ix, "v", "auid", c, truncated)
    if field == "la":
        c = code(text)
        c = LANGUAGES.get(c, c)
        return _value_lookup(ix, "v", "la", c, truncated)
    if field in ("mh", "majr") and "/" in text:
        d, _, q = text.partition("/")
        c = code(d) + "/" + code(q)
        return _value_lookup(ix, "v", "mhq" if field == "mh" else "majrq", c, truncated)
    c = code(text)
    if not c:
        raise QueryError("empty term")
    return _value_lookup(ix, "v", field, c, truncated)


def _value_lookup(ix, kind, field, c, prefix):
    d = (ix.values if kind == "v" else ix.persons).get(field, {})
    if not prefix:
        return set(d.get(c, set()))
    out = set()
    for k in ix.prefix_keys(kind, field, c):
        out |= d[k]
    return out


# Suffixes after an author's initials (PubMed: "o'brien jc jr[au]"); the names compared carry none.
SUFFIXES = {"jr", "sr", "2nd", "3rd", "4th", "ii", "iii", "iv"}


def eval_person(ix, field, text, truncated, quoted=False):
    d = ix.persons.get(field, {})
    if field in ("fau", "fir"):
        # PubMed: a full name "can be entered in natural or inverted order".
        if "," in text:
            last, _, fore = text.partition(",")
            readings = [(last, fore)]
        else:
            parts = text.split()
            readings = [((parts[0] if parts else ""), " ".join(parts[1:]))]
            if len(parts) >= 2:
                readings.append((parts[-1], " ".join(parts[:-1])))
        out = set()
        for last, fore in readings:
            lc, fc = code(last), code(fore)
            if not lc:
                raise QueryError("empty author")
            if truncated:
                out |= _value_lookup(ix, "p", field, lc + "__" + fc if fc else lc, True)
            elif not fc:
                out |= _value_lookup(ix, "p", field, lc + "__", True)
            else:
                q = lc + "__" + fc
                out |= set(d.get(q, set()))
                out |= _value_lookup(ix, "p", field, q + "_", True)
        return out
    parts = text.replace(",", " ").split()
    if len(parts) >= 3 and code(parts[-1]) in SUFFIXES:
        parts = parts[:-1]
    if not parts:
        raise QueryError("empty author")
    if len(parts) >= 2 and len(parts[-1]) <= 3 and parts[-1].isalpha():
        last, init = " ".join(parts[:-1]), parts[-1]
    else:
        last, init = " ".join(parts), ""
    lc = code(last)
    if not lc:
        raise QueryError("empty author")
    if truncated and not init:
        return _value_lookup(ix, "p", field, lc, True)
    # PubMed: "To turn off automatic truncation, enclose the author's name in double quotes".
    return _value_lookup(ix, "p", field, lc + "__" + code(init), not (quoted and init and not truncated))


def eval_date(ix, field, span):
    lo, hi = span
    out = set()
    for pmid, r in ix.records.items():
        for s, e in r.dates.get(field, ()):
            if s >= lo and e <= hi:
                out.add(pmid)
                break
    return out


def run_query(q, ix):
    tree = Parser(tokenize(q)).parse()
    return sorted(evaluate(tree, ix))


def cached_index(files, cache_dir):
    """Index(load(files)), pickled in cache_dir so that repeated runs are fast."""
    if not cache_dir:
        return Index(load(files))
    h = hashlib.sha256()
    with open(os.path.abspath(__file__), "rb") as fh:
        h.update(fh.read())
    for f in files:
        st = os.stat(f)
        h.update(("%s\0%d\0%d\0" % (os.path.abspath(f), st.st_size, st.st_mtime_ns)).encode())
    path = os.path.join(cache_dir, h.hexdigest()[:32] + ".pickle")
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError):
        pass
    ix = Index(load(files))
    try:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = "%s.%d.tmp" % (path, os.getpid())
        with open(tmp, "wb") as fh:
            pickle.dump(ix, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass
    return ix


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--query", help="one query; prints PMIDs one per line")
    g.add_argument("--query-file", help="TSV of id<TAB>query ('#' lines are comments)")
    ap.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "pubmed-query-oracle"),
                    help="where the parsed index is pickled between runs (keyed by this "
                         "script's text and the files' paths, sizes and mtimes); '' disables")
    ap.add_argument("files", nargs="+", help="PubMed XML files, read in this order")
    args = ap.parse_args(argv)

    ix = cached_index(args.files, args.cache_dir)
    if args.query is not None:
        try:
            pmids = run_query(args.query, ix)
        except QueryError as err:
            print("invalid query: %s" % err, file=sys.stderr)
            return 64
        sys.stdout.write("".join("%d\n" % p for p in pmids))
        return 0
    with open(args.query_file, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            qid, _, q = line.partition("\t")
            try:
                out = {"id": qid, "pmids": run_query(q, ix)}
            except QueryError as err:
                out = {"id": qid, "error": str(err)}
            print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
