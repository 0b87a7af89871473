# Tessera's container image (docs/install.md, "Container image"). Builds with podman, buildah or
# docker:  podman build -t tessera .
#
# Two stages: cargo builds the release binary on Rust's Debian image, and the binary runs on
# Debian's slim image as an unprivileged user, with /var/lib/tessera its only writable place.
# Both base images are arguments so that a build without a registry can use images made from
# Debian's packages under other names (scripts/container-test.sh does).
ARG RUST_IMAGE=docker.io/library/rust:1-slim-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
# Set to true to build from the crates already in the registry cache, without the network.
ARG CARGO_NET_OFFLINE=false
WORKDIR /src
COPY . .
# The caches keep downloaded crates and compiled dependencies between builds; the binary is
# copied out of the target cache because a cache mount is not part of the image.
RUN --mount=type=cache,id=tessera-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=tessera-target,target=/src/target \
    cargo build --release --locked -p tessera --bin tessera \
    && install -m 0755 target/release/tessera /usr/local/bin/tessera

FROM ${RUNTIME_IMAGE}
# The roots Tessera trusts for outbound TLS (SMTP), from the build stage's ca-certificates.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/local/bin/tessera /usr/bin/tessera
RUN useradd --uid 10001 --user-group --home-dir /var/lib/tessera --no-create-home \
        --shell /usr/sbin/nologin tessera \
    && install -d -o tessera -g tessera -m 0750 /var/lib/tessera \
    && install -d -m 0755 /etc/tessera /run/secrets
# Every setting is a TESSERA_<NAME> variable or a line of a TOML file mounted at
# /etc/tessera/tessera.toml and named by TESSERA_CONFIG. Set TESSERA_ISSUER to the URL people
# reach Tessera at, and the master secret by file: TESSERA_SECRET_FILE=/run/secrets/<name>.
# Without one, a secret is generated beside the SQLite database, on the data volume.
ENV TESSERA_LISTEN=0.0.0.0:3000 \
    TESSERA_DATABASE_URL=sqlite:///var/lib/tessera/tessera.db
USER tessera:tessera
WORKDIR /var/lib/tessera
VOLUME ["/var/lib/tessera"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["tessera", "healthcheck"]
ENTRYPOINT ["tessera"]
CMD ["serve"]
