# Stand-in for python:3.11.7-slim-bookworm, built only where that image cannot be pulled
# (tests/containers/standins.py), from Debian bookworm's own packages. What differs from the
# official image: Python is Debian's 3.11.2 (not 3.11.7 built from source), and
# /usr/local/bin/python, python3, pip and pip3 are a virtualenv at /usr/local on it, so that
# `pip install` and `python -m venv` behave as in the official image (no PEP 668 refusal).
# The build context holds this machine's CA bundle (ca-certificates.crt): HTTPS (pip) may
# pass through an intercepting proxy whose authority only the host trusts.
# hadolint global ignore=DL3006,DL3008
ARG BASE=localhost/mlops-debootstrap:bookworm
FROM ${BASE}

ENV LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt

# The official image's apt sources (updates and security too), then what it ships besides
# Python: CA certificates, netbase, tzdata.
RUN printf '%s\n' \
      'deb http://deb.debian.org/debian bookworm main' \
      'deb http://deb.debian.org/debian bookworm-updates main' \
      'deb http://deb.debian.org/debian-security bookworm-security main' > /etc/apt/sources.list \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
         ca-certificates netbase tzdata python3 python3-venv \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN python3 -m venv /usr/local \
    && ln -sf python3 /usr/local/bin/python \
    && python --version && pip --version

CMD ["python3"]
