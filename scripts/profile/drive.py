#!/usr/bin/env python3
"""drive.py PORT N [JAR]: GET /visit N times over one keep-alive connection, one cookie jar;
appends the jar's cookie values to JAR."""
import http.client
import sys

port, n = int(sys.argv[1]), int(sys.argv[2])
conn = http.client.HTTPConnection("127.0.0.1", port)
jar = {}
for _ in range(n):
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
    conn.request("GET", "/visit", headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"/visit answered {response.status}")
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            jar[key] = rest.split(";")[0]
if len(sys.argv) > 3:
    with open(sys.argv[3], "a") as out:
        out.write(" ".join(jar.values()) + "\n")
