"""The JSON API against its own description: the OpenAPI document the server serves is checked by
openapi-spec-validator, then every answer of a list of requests is checked against the schema the
document gives for its path, method and status (jsonschema, with OpenAPI 3.0's `nullable` read as
JSON Schema's null type). Prints one JSON object: the requests made, their status, and the
problems found (none, when all is well).

    api_openapi.py BASE_URL PMID
"""
import copy, json, sys, urllib.error, urllib.request
import jsonschema
from openapi_spec_validator import validate

base, pmid = sys.argv[1].rstrip("/"), sys.argv[2]


def get(path, data=None):
    request = urllib.request.Request(base + path, data=data.encode() if data else None)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


status, _, body = get("/api/openapi.json")
document = json.loads(body)
validate(document)


def jsonschema_of(schema):
    """OpenAPI 3.0's schema dialect as JSON Schema: nullable becomes a null type."""
    schema = copy.deepcopy(schema)
    def walk(node):
        if isinstance(node, dict):
            if node.pop("nullable", False) and "type" in node:
                node["type"] = [node["type"], "null"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)
    return schema


components = jsonschema_of(document["components"])
cases = [
    ("get", "/api/search", "/api/search?q=cancer%5Btiab%5D&limit=3", None),
    ("get", "/api/search", "/api/search?q=cancer%5Btiab%5D&sort=pub_date&limit=0", None),
    ("get", "/api/search", "/api/search?q=cancer%5Btiab", None),
    ("get", "/api/search", "/api/search?q=cancer&limit=5000", None),
    ("get", "/api/search", "/api/search", None),
    ("get", "/api/records/{pmid}", "/api/records/" + pmid, None),
    ("get", "/api/records/{pmid}", "/api/records/1", None),
    ("get", "/api/records/{pmid}", "/api/records/" + pmid + "?format=nonsense", None),
    ("get", "/api/records", "/api/records?ids=" + pmid + ",1", None),
    ("post", "/api/records", "/api/records", "ids=" + pmid + "&format=json"),
    ("get", "/api/records", "/api/records?ids=x", None),
    ("get", "/api/export", "/api/export?q=cancer&format=csl-json", None),
    ("get", "/api/export", "/api/export?q=cancer&format=csv", None),
    ("get", "/api/export", "/api/export?q=cancer&format=pdf", None),
    ("get", "/api/status", "/api/status", None),
    ("get", "/health", "/health", None),
    ("get", "/api/changes", "/api/changes?since=-1", None),
]
made, problems = [], []
for method, template, path, data in cases:
    status, content_type, body = get(path, data)
    made.append({"path": path, "status": status})
    operation = document["paths"][template][method]
    response = operation["responses"].get(str(status))
    if response is None:
        problems.append(f"{method.upper()} {path}: status {status} is not documented")
        continue
    media = response.get("content", {}).get(content_type.split(";")[0])
    if media is None:
        if response.get("content"):
            problems.append(f"{method.upper()} {path}: content type {content_type} is not documented for {status}")
        continue
    if "json" not in content_type:
        continue  # text, XML, CSV: documented as strings
    schema = dict(jsonschema_of(media["schema"]), components=components)
    try:
        jsonschema.validate(json.loads(body), schema)
    except jsonschema.ValidationError as error:
        problems.append(f"{method.upper()} {path}: {error.message} at {list(error.absolute_path)}")

print(json.dumps({"made": made, "problems": problems}))
