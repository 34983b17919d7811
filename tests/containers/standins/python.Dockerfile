# Stand-in for python:3.11.7-slim-bookworm, built only where that image cannot be pulled
# (tests/containers/standins.py): Debian bookworm's packages plus the CPython the tests run on
# (same minor version; 3.11.7 here, a pyenv build on bookworm), installed in /usr/local as the
# official image installs its own build, with pip from its ensurepip. Debian's python3 (3.11.2)
# will not do: constraints.txt pins releases that require Python >= 3.11.5 (soupsieve 4.1.3).
# What differs from the official image: that CPython was built by pyenv, not by the image's
# Dockerfile (same version, same Debian release); no tkinter; the build context also holds this
# machine's CA bundle (ca-certificates.crt): HTTPS (pip) may pass through an intercepting proxy
# whose authority only the host trusts.
# hadolint global ignore=DL3006,DL3008
ARG BASE=localhost/mlops-debootstrap:bookworm
FROM ${BASE}

ENV LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt

# The official image's apt sources (updates and security too), what it ships besides Python
# (CA certificates, netbase, tzdata) and the libraries CPython's extension modules link to.
RUN printf '%s\n' \
      'deb http://deb.debian.org/debian bookworm main' \
      'deb http://deb.debian.org/debian bookworm-updates main' \
      'deb http://deb.debian.org/debian-security bookworm-security main' > /etc/apt/sources.list \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
         ca-certificates netbase tzdata \
         libbz2-1.0 libcrypt1 libexpat1 libffi8 libgdbm6 liblzma5 libncursesw6 libnsl2 \
         libreadline8 libsqlite3-0 libssl3 libtinfo6 libtirpc3 libuuid1 zlib1g \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# bin/python3.X, lib/libpython3.X.so*, lib/python3.X (no site-packages, tests or tkinter), include/
ADD python.tar /usr/local/
RUN ldconfig \
    && ln -s python3 /usr/local/bin/python \
    && python3 -m ensurepip --default-pip \
    && python -c 'import bz2, ctypes, curses, decimal, hashlib, lzma, readline, sqlite3, ssl, uuid, zlib' \
    && python --version && pip --version

CMD ["python3"]
