"""Python's botocore against Coffer's HTTPS endpoint (the docs/https-endpoint.md example), and a
hand-signed request for a socket-only operation.

usage: botocore_client.py ENDPOINT CA_PEM REGION   (credentials from AWS_ACCESS_KEY_ID/SECRET)
Prints key=value lines.
"""
import json
import os
import ssl
import sys
import urllib.error
import urllib.request

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

endpoint, ca, region = sys.argv[1:4]

# The documented example: a botocore client with endpoint_url and verify=<cert.pem>.
kms = botocore.session.get_session().create_client(
    "kms", region_name=region, endpoint_url=endpoint, verify=ca)
key_id = kms.create_key(Description="from botocore")["KeyMetadata"]["KeyId"]
blob = kms.encrypt(KeyId=key_id, Plaintext=b"attack at dawn")["CiphertextBlob"]
print("roundtrip=" + kms.decrypt(CiphertextBlob=blob)["Plaintext"].decode())

# A socket-only administration operation, signed correctly, sent over HTTPS.
body = json.dumps({"UserName": "intruder"}).encode()
request = AWSRequest(method="POST", url=endpoint + "/", data=body, headers={
    "X-Amz-Target": "TrentService.CreateAccessKey",
    "Content-Type": "application/x-amz-json-1.1"})
SigV4Auth(Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]),
          "kms", region).add_auth(request)
prepared = request.prepare()
try:
    urllib.request.urlopen(urllib.request.Request(
        prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST"),
        context=ssl.create_default_context(cafile=ca))
    print("createAccessKey.status=200")
except urllib.error.HTTPError as e:
    answer = json.loads(e.read())
    print("createAccessKey.status=%d" % e.code)
    print("createAccessKey.errorType=" + e.headers.get("x-amzn-ErrorType", ""))
    print("createAccessKey.type=" + answer.get("__type", ""))
    print("createAccessKey.message=" + answer.get("message", ""))
