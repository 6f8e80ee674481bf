"""Biopython's E-utilities client against `pubmed-mirror serve`: the calls a pipeline written for
NCBI makes, with only the address changed, and what each one read back, printed as one JSON object
for the Swift test to compare with the index.

    eutils_biopython.py BASE_URL TERM PMID[,PMID...]

Biopython hard-codes NCBI's address (https://eutils.ncbi.nlm.nih.gov/entrez/eutils/); as the
project's FOUNDATIONS describe, the script wraps the opener Bio.Entrez calls and rewrites each
request's host to BASE_URL. Nothing else of Biopython is changed.
"""
import io, json, sys, urllib.error
from Bio import Entrez, Medline

base, term, ids = sys.argv[1].rstrip("/") + "/", sys.argv[2], sys.argv[3].split(",")
NCBI = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
opened = Entrez.urlopen


def redirected(request, *args, **kwargs):
    request.full_url = request.full_url.replace(NCBI, base)
    return opened(request, *args, **kwargs)


Entrez.urlopen = redirected
Entrez.email = "tests@example.org"
Entrez.tool = "pubmed-mirror-tests"
Entrez.max_tries = 1
report = {}

# esearch, XML and JSON, and a page further on.
with Entrez.esearch(db="pubmed", term=term, retmax=5) as handle:
    found = Entrez.read(handle)
report["esearch"] = {"count": int(found["Count"]), "ids": list(found["IdList"]), "translation": found["QueryTranslation"]}
with Entrez.esearch(db="pubmed", term=term, retmax=3, retstart=2, retmode="json") as handle:
    found = json.load(handle)["esearchresult"]
report["esearch_json"] = {"count": int(found["count"]), "ids": found["idlist"], "retstart": found["retstart"]}
with Entrez.esearch(db="pubmed", term=term, rettype="count") as handle:
    report["esearch_count"] = int(Entrez.read(handle)["Count"])

# esearch into the history, then efetch from it: the records' XML, read by Entrez.read.
with Entrez.esearch(db="pubmed", term=term, usehistory="y", retmax=0) as handle:
    found = Entrez.read(handle)
with Entrez.efetch(db="pubmed", webenv=found["WebEnv"], query_key=found["QueryKey"], retstart=0, retmax=4, retmode="xml") as handle:
    articles = Entrez.read(handle)
report["history_efetch"] = [str(a["MedlineCitation"]["PMID"]) for a in articles["PubmedArticle"]]

# efetch by id: XML (Entrez.read), MEDLINE text (Bio.Medline), abstract text.
with Entrez.efetch(db="pubmed", id=",".join(ids), retmode="xml") as handle:
    report["efetch_xml"] = [{"pmid": str(a["MedlineCitation"]["PMID"]), "title": str(a["MedlineCitation"]["Article"]["ArticleTitle"])}
                            for a in Entrez.read(handle)["PubmedArticle"]]
with Entrez.efetch(db="pubmed", id=",".join(ids), rettype="medline", retmode="text") as handle:
    report["efetch_medline"] = [{"pmid": r.get("PMID"), "title": r.get("TI"), "authors": r.get("AU", [])} for r in Medline.parse(handle)]
with Entrez.efetch(db="pubmed", id=ids[0], rettype="abstract", retmode="text") as handle:
    report["efetch_abstract"] = handle.read()

# esummary: version 1.0 XML (Entrez.parse, a summary at a time) and 2.0 JSON, with an id the index does not hold.
with Entrez.esummary(db="pubmed", id=",".join(ids)) as handle:
    report["esummary"] = [{"id": str(d["Id"]), "title": str(d["Title"]), "authors": [str(a) for a in d["AuthorList"]]} for d in Entrez.parse(handle)]
with Entrez.esummary(db="pubmed", id=ids[0] + ",1", retmode="json") as handle:
    result = json.load(handle)["result"]
report["esummary_json"] = {"uids": result["uids"], "title": result[ids[0]]["title"], "missing": result["1"].get("error")}

# epost, then esummary from the history it made.
with Entrez.epost(db="pubmed", id=",".join(ids)) as handle:
    posted = Entrez.read(handle)
with Entrez.esummary(db="pubmed", webenv=posted["WebEnv"], query_key=posted["QueryKey"]) as handle:
    report["epost_esummary"] = [str(d["Id"]) for d in Entrez.read(handle)]

# einfo: the database list, and PubMed's record count and fields.
with Entrez.einfo() as handle:
    report["einfo_dbs"] = list(Entrez.read(handle)["DbList"])
with Entrez.einfo(db="pubmed") as handle:
    info = Entrez.read(handle)["DbInfo"][0]
report["einfo"] = {"count": int(info["Count"]), "fields": [f["Name"] for f in info["FieldList"]]}

# A query the server cannot read: an HTTP error with NCBI's ERROR element in the body.
try:
    with Entrez.esearch(db="pubmed", term="cancer[tiab") as handle:
        report["bad_query"] = {"status": 200, "body": handle.read()}
except urllib.error.HTTPError as error:
    report["bad_query"] = {"status": error.code, "body": error.read().decode()}

print(json.dumps(report))
