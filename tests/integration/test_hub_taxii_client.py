#!/usr/bin/env python3
"""A TAXII 2.1 client that behaves as the OASIS taxii2-client 2.3
(taxii2client.v21 and taxii2client.common) does, on urllib only, run
against `c2flow hub serve` by test_hub_taxii_client.sh; and OpenCTI's TAXII
feed importer's paging (opencti_run) beside it.

What is reproduced from that client, as its source does it:
- every GET sends Accept: application/taxii+json;version=2.1 (unless the
  call gives another) and User-Agent taxii2-client/2.3.0; HTTP Basic auth;
- a status >= 400 raises (requests' raise_for_status); a GET whose
  Content-Type fails valid_content_type() raises TAXIIServiceException;
  a POST's answer is only parsed as JSON;
- an endpoint URL gets a trailing slash when it lacks one;
- API roots are urljoin(discovery URL, entry); collections are
  root + "collections/" + id + "/"; objects_url = collection URL +
  "objects/"; the manifest collection URL + "manifest/"; one object
  objects_url + id + "/", its versions + "versions/"; the status of an
  addition urljoin(collection URL, "../../status/" + id) (then the slash);
  ApiRoot.get_status: root + "status/" + id + "/";
- query parameters as _filter_kwargs_to_query_params makes them (limit,
  next, added_after with datetimes formatted by _format_datetime, every
  other filter as match[NAME]) and encoded as requests encodes a dict;
- as_pages(): limit=per_request first, then next=envelope["next"] while
  "more", shrinking per_request (with a warning) when a page holds fewer
  than asked;
- the validations: discovery title; API root title, versions,
  max_content_length; collection id, title, can_read, can_write and its id
  in its URL; status id, status, the four counts, the lists against the
  counts, and success + pending + failure = total; can_read / can_write
  checked before reading / writing.

With an https URL, CAFILE is the CA to verify the hub with (requests'
verify=CAFILE).

usage: test_hub_taxii_client.py DISCOVERY_URL USER TOKEN RO_USER RO_TOKEN BUNDLE MAX_BODY [CAFILE]
"""
import base64
import json
import logging
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

MEDIA_TYPE_TAXII_V21 = "application/taxii+json;version=2.1"
DEFAULT_USER_AGENT = "taxii2-client/2.3.0"
log = logging.getLogger("taxii2client")
warnings = []
CAFILE = None


class TAXIIServiceException(Exception):
    pass


class ValidationError(TAXIIServiceException):
    pass


class AccessError(TAXIIServiceException):
    pass


class HTTPError(Exception):
    def __init__(self, status, url, body):
        super().__init__("%d for %s: %s" % (status, url, body[:300]))
        self.status = status


# ---- taxii2client.common ----

def _format_datetime(dttm):
    zoned = dttm.replace(tzinfo=timezone.utc) if dttm.tzinfo is None else \
        dttm.astimezone(timezone.utc)
    ts = zoned.strftime("%Y-%m-%dT%H:%M:%S")
    if zoned.microsecond > 0:
        ts = ts + "." + zoned.strftime("%f").rstrip("0")
    return ts + "Z"


def _ensure_datetime_to_string(v):
    return _format_datetime(v) if isinstance(v, datetime) else v


def _filter_kwargs_to_query_params(filter_kwargs):
    query_params = {}
    for kwarg, arglist in filter_kwargs.items():
        if not arglist:
            continue
        if not hasattr(arglist, "__iter__") or isinstance(arglist, str):
            arglist = arglist,
        if kwarg == "version":
            query_params["match[version]"] = ",".join(
                _ensure_datetime_to_string(v) for v in arglist)
        elif kwarg == "added_after":
            query_params["added_after"] = ",".join(
                _ensure_datetime_to_string(v) for v in arglist)
        elif kwarg == "limit":
            query_params["limit"] = int(arglist[0])
        elif kwarg == "next":
            query_params["next"] = arglist
        else:
            query_params["match[" + kwarg + "]"] = ",".join(arglist)
    return query_params


def _encode_params(params):
    """As requests encodes a dict: iterable values repeat the key."""
    pairs = []
    for k, v in (params or {}).items():
        vs = v if isinstance(v, (list, tuple)) else [v]
        pairs += [(k, str(x)) for x in vs]
    return urllib.parse.urlencode(pairs)


class TaxiiResponse(dict):
    def __init__(self, data, headers, url):
        super().__init__(data)
        self.headers, self.url = headers, url


def _grab_total_items_from_resource(resp):
    return len(resp.get("objects", []))


class _HTTPConnection:
    def __init__(self, user=None, password=None, version="2.1"):
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode() \
            if user and password else None
        self.version = version
        handlers = [urllib.request.ProxyHandler({})]
        if CAFILE:              # verify=CAFILE: the chain and the host name
            handlers.append(urllib.request.HTTPSHandler(
                context=ssl.create_default_context(cafile=CAFILE)))
        self.opener = urllib.request.build_opener(*handlers)
        self.requests = []

    def valid_content_type(self, content_type, accept):
        accept_tokens = accept.replace(" ", "").split(";")
        content_type_tokens = content_type.replace(" ", "").split(";")
        return all(e in content_type_tokens for e in accept_tokens) and \
            content_type_tokens[0] == "application/taxii+json"

    def _send(self, method, url, headers, params=None, data=None):
        if params:
            url += ("&" if "?" in url else "?") + _encode_params(params)
        h = {"User-Agent": DEFAULT_USER_AGENT}
        h.update(headers or {})
        if self.auth:
            h["Authorization"] = self.auth
        req = urllib.request.Request(url, data=data, method=method, headers=h)
        self.requests.append((method, url))
        try:
            with self.opener.open(req, timeout=20) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read(), url
        except urllib.error.HTTPError as e:      # raise_for_status()
            raise HTTPError(e.code, url, e.read().decode("utf-8", "replace"))

    def get(self, url, headers=None, params=None):
        merged = dict(headers or {})
        if "Accept" not in merged:
            merged["Accept"] = MEDIA_TYPE_TAXII_V21
        accept = merged["Accept"]
        status, h, body, full = self._send("GET", url, merged, params)
        content_type = h["content-type"]
        if not self.valid_content_type(content_type=content_type, accept=accept):
            raise TAXIIServiceException("Unexpected Response. Got Content-Type: '%s' for "
                                        "Accept: '%s' (%s)" % (content_type, accept, full))
        return TaxiiResponse(json.loads(body), h, full)

    def post(self, url, headers=None, params=None, data=None):
        status, h, body, full = self._send("POST", url, headers, params, data)
        return json.loads(body)


class _TAXIIEndpoint:
    def __init__(self, url, conn=None, user=None, password=None):
        self._conn = conn or _HTTPConnection(user, password)
        self.url = url if url[-1] == "/" else url + "/"


# ---- taxii2client.v21 ----

def as_pages(func, per_request=0, *args, **kwargs):
    envelope = func(limit=per_request, *args, **kwargs)
    yield envelope
    total_obtained = _grab_total_items_from_resource(envelope)
    if envelope.get("more", False) and total_obtained != per_request:
        log.warning("TAXII Server Response with different amount of objects! Setting limit=%s",
                    total_obtained)
        warnings.append((per_request, total_obtained))
        per_request = total_obtained
    while envelope.get("more", False):
        envelope = func(limit=per_request, next=envelope.get("next", ""), *args, **kwargs)
        yield envelope


class Status(_TAXIIEndpoint):
    def __init__(self, url, conn=None, status_info=None):
        super().__init__(url, conn)
        if status_info:
            self._populate_fields(**status_info)
        else:
            self.refresh()

    def refresh(self, accept=MEDIA_TYPE_TAXII_V21):
        self._populate_fields(**self._conn.get(self.url, headers={"Accept": accept}))

    def _populate_fields(self, id=None, status=None, total_count=None, success_count=None,
                         failure_count=None, pending_count=None, request_timestamp=None,
                         successes=None, failures=None, pendings=None, **kwargs):
        self.id, self.status, self.request_timestamp = id, status, request_timestamp
        self.total_count, self.success_count = total_count, success_count
        self.failure_count, self.pending_count = failure_count, pending_count
        self.successes, self.failures, self.pendings = successes or [], failures or [], \
            pendings or []
        self._custom_properties = kwargs
        self._validate_status()

    def _validate_status(self):
        for name in ("id", "status"):
            if not getattr(self, name):
                raise ValidationError("No '%s' in Status for request '%s'" % (name, self.url))
        for name in ("total_count", "success_count", "failure_count", "pending_count"):
            if getattr(self, name) is None:
                raise ValidationError("No '%s' in Status for request '%s'" % (name, self.url))
        for lst, cnt in (("successes", "success_count"), ("pendings", "pending_count"),
                         ("failures", "failure_count")):
            if getattr(self, lst) and len(getattr(self, lst)) != getattr(self, cnt):
                raise ValidationError("Found %s=%s, but %s=%s" % (
                    lst, getattr(self, lst), cnt, getattr(self, cnt)))
        if self.success_count + self.pending_count + self.failure_count != self.total_count:
            raise ValidationError("success + pending + failure != total_count in status " + self.id)


class Collection(_TAXIIEndpoint):
    def __init__(self, url, conn=None, collection_info=None):
        super().__init__(url, conn)
        self._loaded = False
        if collection_info:
            self._populate_fields(**collection_info)
            self._loaded = True

    @property
    def objects_url(self):
        return self.url + "objects/"

    def _populate_fields(self, id=None, title=None, description=None, alias=None,
                         can_read=None, can_write=None, media_types=None, **kwargs):
        self.id, self.title, self.description, self.alias = id, title, description, alias
        self.can_read, self.can_write = can_read, can_write
        self.media_types = media_types or []
        self._custom_properties = kwargs
        if not self.id:
            raise ValidationError("No 'id' in Collection for request '%s'" % self.url)
        if not self.title:
            raise ValidationError("No 'title' in Collection for request '%s'" % self.url)
        if self.can_read is None:
            raise ValidationError("No 'can_read' in Collection for request '%s'" % self.url)
        if self.can_write is None:
            raise ValidationError("No 'can_write' in Collection for request '%s'" % self.url)
        if self.id not in self.url:
            raise ValidationError("The collection '%s' does not match the url for queries "
                                  "'%s'" % (self.id, self.url))

    def refresh(self, accept=MEDIA_TYPE_TAXII_V21):
        self._populate_fields(**self._conn.get(self.url, headers={"Accept": accept}))
        self._loaded = True

    def _verify_can_read(self):
        if not self.can_read:
            raise AccessError("Collection '%s' does not allow reading." % self.url)

    def _verify_can_write(self):
        if not self.can_write:
            raise AccessError("Collection '%s' does not allow writing." % self.url)

    def get_objects(self, accept=MEDIA_TYPE_TAXII_V21, **filter_kwargs):
        self._verify_can_read()
        return self._conn.get(self.objects_url, headers={"Accept": accept},
                              params=_filter_kwargs_to_query_params(filter_kwargs))

    def get_object(self, obj_id, accept=MEDIA_TYPE_TAXII_V21, **filter_kwargs):
        self._verify_can_read()
        return self._conn.get(self.objects_url + str(obj_id) + "/", headers={"Accept": accept},
                              params=_filter_kwargs_to_query_params(filter_kwargs))

    def object_versions(self, obj_id, accept=MEDIA_TYPE_TAXII_V21, **filter_kwargs):
        self._verify_can_read()
        return self._conn.get(self.objects_url + str(obj_id) + "/versions/",
                              headers={"Accept": accept},
                              params=_filter_kwargs_to_query_params(filter_kwargs))

    def get_manifest(self, accept=MEDIA_TYPE_TAXII_V21, **filter_kwargs):
        self._verify_can_read()
        return self._conn.get(self.url + "manifest/", headers={"Accept": accept},
                              params=_filter_kwargs_to_query_params(filter_kwargs))

    def add_objects(self, envelope, wait_for_completion=True, accept=MEDIA_TYPE_TAXII_V21,
                    content_type=MEDIA_TYPE_TAXII_V21):
        self._verify_can_write()
        data = json.dumps(envelope, ensure_ascii=False).encode("utf-8")
        status_json = self._conn.post(self.objects_url, data=data,
                                      headers={"Accept": accept, "Content-Type": content_type})
        status_url = urllib.parse.urljoin(self.url, "../../status/{}".format(status_json["id"]))
        status = Status(url=status_url, conn=self._conn, status_info=status_json)
        if not wait_for_completion or status.status == "complete":
            return status
        for _ in range(60):     # wait_until_final(poll_interval=1, timeout=60)
            status.refresh()
            if status.status == "complete":
                break
        return status


class ApiRoot(_TAXIIEndpoint):
    def refresh_information(self, accept=MEDIA_TYPE_TAXII_V21):
        r = self._conn.get(self.url, headers={"Accept": accept})
        self.title, self.description = r.get("title"), r.get("description")
        self.versions, self.max_content_length = r.get("versions") or [], \
            r.get("max_content_length")
        if not self.title:
            raise ValidationError("No 'title' in API Root for request '%s'" % self.url)
        if not self.versions:
            raise ValidationError("No 'versions' in API Root for request '%s'" % self.url)
        if self.max_content_length is None:
            raise ValidationError("No 'max_content_length' in API Root for request '%s'" % self.url)

    def refresh_collections(self, accept=MEDIA_TYPE_TAXII_V21):
        url = self.url + "collections/"
        response = self._conn.get(url, headers={"Accept": accept})
        self.collections = [Collection(url + item["id"] + "/", conn=self._conn,
                                       collection_info=item)
                            for item in response.get("collections", [])]

    def get_status(self, status_id, accept=MEDIA_TYPE_TAXII_V21):
        status_url = self.url + "status/" + status_id + "/"
        response = self._conn.get(status_url, headers={"Accept": accept})
        return Status(status_url, conn=self._conn, status_info=response)


class Server(_TAXIIEndpoint):
    def __init__(self, url, user=None, password=None):
        super().__init__(url, None, user, password)
        self._user, self._password = user, password

    def refresh(self):
        r = self._conn.get(self.url)
        self.title, self.description = r.get("title"), r.get("description")
        roots = r.get("api_roots") or []
        self.api_roots = [ApiRoot(urllib.parse.urljoin(self.url, u), user=self._user,
                                  password=self._password) for u in roots]
        self.default = dict(zip(roots, self.api_roots)).get(r.get("default"))
        if not self.title:
            raise ValidationError("No 'title' in Server Discovery for request '%s'" % self.url)


# ---- OpenCTI's importer (ingestionManager.ts, TAXII 2.1 feeds) ----

def opencti_run(root_url, coll_id, token, state, limit=None):
    """One ingestion as OpenCTI's taxiiV21DataHandler makes it, repeated as
    its scheduler would until caught up: GET root + "collections/ID/objects/"
    with Bearer auth and params next (the cursor) and added_after (kept while
    paging), and limit only when configured; a page with more and next moves
    the cursor, the last page resets it and takes X-TAXII-Date-Added-Last,
    parsed and written back by moment, i.e. cut to milliseconds."""
    url = (root_url if root_url.endswith("/") else root_url + "/") + \
        "collections/%s/objects/" % coll_id
    conn = _HTTPConnection()
    got = []
    for _ in range(100000):
        params = {k: v for k, v in (("next", state.get("next")),
                                    ("added_after", state.get("added_after")),
                                    ("limit", limit)) if v is not None}
        r = conn.get(url, headers={"Accept": MEDIA_TYPE_TAXII_V21,
                                   "Authorization": "Bearer " + token}, params=params)
        objs = r.get("objects") or []
        if not objs:
            state["next"] = None
            return got
        got += objs
        if r.get("more") and r.get("next"):
            state["next"] = r["next"]
            continue
        state["next"] = None
        last = r.headers.get("x-taxii-date-added-last")
        if not last:
            fail("OpenCTI: the last page has no X-TAXII-Date-Added-Last")
        state["added_after"] = last[:23] + "Z"     # moment: milliseconds
        return got
    fail("OpenCTI ingestion never caught up")


# ---- the session ----

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def vid(o):
    return (o["id"], o.get("modified", o.get("created")))


def all_pages(func, per_request, **kw):
    pages = list(as_pages(func, per_request, **kw))
    return pages, [o for p in pages for o in p.get("objects", [])]


def parse_us(text):
    """X-TAXII-Date-Added-Last ("...T10:11:12.123456Z") as a datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def session(url, user, token, ro_user, ro_token, bundle_path, max_body):
    server = Server(url, user=user, password=token)
    server.refresh()
    if len(server.api_roots) != 1 or server.default is not server.api_roots[0]:
        fail("discovery: api_roots %s, default %s" % ([r.url for r in server.api_roots],
                                                      server.default))
    root = server.api_roots[0]
    if not root.url.endswith("/taxii2/api1/"):
        fail("the API root resolves to %s" % root.url)
    root.refresh_information()
    if MEDIA_TYPE_TAXII_V21 not in root.versions:
        fail("API root versions %s" % root.versions)
    if root.max_content_length != max_body:
        fail("max_content_length %s, max_body is %d" % (root.max_content_length, max_body))
    root.refresh_collections()
    if len(root.collections) != 1:
        fail("%d collections for a member of one group" % len(root.collections))
    coll = root.collections[0]
    if not (coll.can_read and coll.can_write):
        fail("collection %s: can_read %s can_write %s" % (coll.id, coll.can_read, coll.can_write))
    # a collection made from its URL alone loads itself (Get a Collection)
    alone = Collection(coll.url[:-1], conn=coll._conn)
    alone.refresh()
    if alone.id != coll.id or alone.title != coll.title:
        fail("Get a Collection: %s / %s" % (alone.id, alone.title))

    # every object once, whatever the page size
    big = coll.get_objects(limit=100000)
    if big.get("more"):
        fail("one big page still says more")
    want = [vid(o) for o in big["objects"]]
    figures = ["%d objects" % len(want)]
    for per in (7, 1, 0):
        pages, objs = all_pages(coll.get_objects, per)
        got = [vid(o) for o in objs]
        if got != want:
            fail("as_pages(get_objects, %d): %d objects over %d pages (%d distinct), the big page "
                 "has %d" % (per, len(got), len(pages), len(set(got)), len(want)))
        figures.append("as_pages(%d): %d pages" % (per, len(pages)))
    pages, objs = all_pages(coll.get_objects, 4, type="indicator")
    inds = [o for o in big["objects"] if o["type"] == "indicator"]
    if [vid(o) for o in objs] != [vid(o) for o in inds]:
        fail("as_pages(get_objects, 4, type=indicator): %d objects, %d indicators in the "
             "collection" % (len(objs), len(inds)))
    pages, mans = all_pages(coll.get_manifest, 5)
    if [(m["id"], m["version"]) for m in mans] != want:
        fail("as_pages(get_manifest, 5) lists %d objects, get_objects %d" % (len(mans), len(want)))
    for m in mans:
        for k in ("id", "date_added", "version", "media_type"):
            if k not in m:
                fail("a manifest record lacks %s: %s" % (k, m))
    if warnings:
        fail("the server returned pages of another size than asked with more=true: %s "
             "(as_pages adapts, but the hub honours limit)" % warnings)
    last = parse_us(big.headers["x-taxii-date-added-last"])
    if coll.get_objects(added_after=last).get("objects"):
        fail("added_after=%s (a datetime, as the client formats it) gave objects"
             % _format_datetime(last))

    # OpenCTI's importer, as it pages (Bearer token, next with added_after)
    octi = {}
    seen = opencti_run(root.url, coll.id, token, octi, limit=7)
    if sorted(vid(o) for o in seen) != sorted(want):
        fail("OpenCTI's importer got %d objects (%d distinct), the collection has %d"
             % (len(seen), len({vid(o) for o in seen}), len(want)))
    figures.append("OpenCTI importer: %d objects" % len(seen))

    # add objects: an envelope of what `c2flow export --format stix21` writes
    bundle = json.load(open(bundle_path))
    envelope = {"objects": bundle["objects"]}
    new_ind = [o for o in envelope["objects"] if o["type"] == "indicator"]
    if len(new_ind) != 1:
        fail("the exported bundle holds %d indicators" % len(new_ind))
    status = coll.add_objects(envelope)
    if status.url != root.url + "status/" + status.id + "/":
        fail("the status URL is %s" % status.url)
    if status.status != "complete" or status.success_count < 1 or status.failure_count:
        fail("status: %s, %s of %s" % (status.status, status.success_count, status.total_count))
    notes = []
    if status.total_count != len(envelope["objects"]):
        notes.append("status total_count %d for an envelope of %d objects (TAXII 2.1 4.3.1: "
                     "the number of objects in the request)"
                     % (status.total_count, len(envelope["objects"])))
    status.refresh()            # what wait_until_final polls
    again = root.get_status(status.id)
    if again.id != status.id or again.status != "complete":
        fail("Get Status: %s %s" % (again.id, again.status))
    added = coll.get_objects(added_after=last)
    ids = {o["id"] for o in added["objects"]}
    if new_ind[0]["id"] not in ids:
        fail("after add_objects, added_after=%s does not hold indicator %s"
             % (_format_datetime(last), new_ind[0]["id"]))
    one = coll.get_object(new_ind[0]["id"])
    if [o["id"] for o in one["objects"]] != [new_ind[0]["id"]]:
        fail("get_object(%s): %s" % (new_ind[0]["id"], [o["id"] for o in one["objects"]]))
    if one["objects"][0]["pattern"] != new_ind[0]["pattern"]:
        fail("the added indicator is served with another pattern")
    versions = coll.object_versions(new_ind[0]["id"])
    if one["objects"][0]["modified"] not in versions.get("versions", []):
        fail("object_versions: %s lacks the served version %s"
             % (versions.get("versions"), one["objects"][0]["modified"]))
    again_seen = opencti_run(root.url, coll.id, token, octi)
    if new_ind[0]["id"] not in {o["id"] for o in again_seen}:
        fail("OpenCTI's next run (added_after=%s) missed the added indicator" % octi.get("added_after"))
    stale = [vid(o) for o in again_seen if vid(o) in set(want) and
             vid(o) not in {vid(x) for x in seen[-7:]}]
    if stale:
        fail("OpenCTI's next run got %d old objects again, e.g. %s" % (len(stale), stale[0]))
    big2 = coll.get_objects(limit=100000)
    pages, objs = all_pages(coll.get_objects, 7)
    if [vid(o) for o in objs] != [vid(o) for o in big2["objects"]] or \
            not ids <= {o["id"] for o in objs}:
        fail("after add_objects, as_pages(get_objects, 7) serves %d objects, one page %d"
             % (len(objs), len(big2["objects"])))

    # a read-only member: the collection says can_write false; the client
    # refuses to write, and so does the server
    ro = Server(url, user=ro_user, password=ro_token)
    ro.refresh()
    ro_root = ro.api_roots[0]
    ro_root.refresh_collections()
    ro_coll = [c for c in ro_root.collections if c.id == coll.id]
    if not ro_coll or ro_coll[0].can_write is not False:
        fail("a read-only member's collection: %s" % [(c.id, c.can_write) for c in ro_coll])
    try:
        ro_coll[0].add_objects(envelope)
        fail("the client wrote to a collection that does not allow writing")
    except AccessError:
        pass
    try:
        ro_coll[0]._conn.post(ro_coll[0].objects_url, data=json.dumps(envelope).encode(),
                              headers={"Accept": MEDIA_TYPE_TAXII_V21,
                                       "Content-Type": MEDIA_TYPE_TAXII_V21})
        fail("a read-only member could POST objects")
    except HTTPError as e:
        if e.status != 403:
            fail("a read-only member's POST: %d, expected 403" % e.status)
    n = len(coll._conn.requests) + len(ro_root._conn.requests)
    print("taxii2-client session over %s: %s; added 1 indicator (status %s, total_count %d); "
          "%d requests" % (url.split(":")[0], "; ".join(figures), status.status, status.total_count, n))
    for note in notes:
        print("NOTE: " + note)


def main():
    global CAFILE
    if len(sys.argv) not in (8, 9):
        fail(__doc__.strip().splitlines()[-1])
    url, user, token, ro_user, ro_token, bundle, max_body = sys.argv[1:8]
    CAFILE = sys.argv[8] if len(sys.argv) == 9 else None
    try:
        session(url, user, token, ro_user, ro_token, bundle, int(max_body))
    except (TAXIIServiceException, HTTPError, KeyError, ValueError) as e:
        fail("%s: %s" % (type(e).__name__, e))


if __name__ == "__main__":
    main()
