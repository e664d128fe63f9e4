"""Signs one request with botocore's SigV4Auth and prints the signed headers as JSON.

Input (stdin, JSON): url, method, headers (object), body (text), access_key, secret_key,
token (optional), region, service. Output: {"headers": {...}} as the client would send them,
with Host added the way urllib3 adds it (botocore signs the URL's netloc as host).
"""
import json
import sys
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

spec = json.load(sys.stdin)
request = AWSRequest(method=spec["method"], url=spec["url"], data=spec["body"].encode("utf-8"),
                     headers=spec["headers"])
SigV4Auth(Credentials(spec["access_key"], spec["secret_key"], spec.get("token")),
          spec["service"], spec["region"]).add_auth(request)
headers = dict(request.headers.items())
headers["Host"] = urlsplit(spec["url"]).netloc
json.dump({"headers": headers}, sys.stdout)
