# syntax=docker/dockerfile:1
#
# payhsm-gw container image: a static binary on a distroless base, running
# as a non-root user. Build:   docker build -t payhsm-gw --build-arg VERSION=$(git describe --always) .
# Run (demo, embedded simulated HSM pair):
#   docker run --rm -p 1500:1500 -p 8080:8080 payhsm-gw
# Run against real HSMs: mount a config file and pass --config (see deploy/).
#
# deploy/deploy_test.go checks this file: the builder's Go version against
# go.mod, and that its build command (below) produces a static binary.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
# Dependencies first, so that the module download is cached across builds.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# Static (no cgo, no libc), reproducible paths, version stamped.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/payhsm-gw ./cmd/payhsm-gw
# The data directory (key registry), owned by the distroless nonroot user.
RUN mkdir -p /out/data && chown 65532:65532 /out/data && chmod 0700 /out/data

# distroless/static: CA certificates, tzdata, /etc/passwd with nonroot
# (65532); no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/payhsm-gw /usr/local/bin/payhsm-gw
COPY --from=build --chown=65532:65532 /out/data /var/lib/payhsm
USER 65532:65532
WORKDIR /var/lib/payhsm
# 1500: host-command front; 8080: REST API, /metrics, /healthz, /readyz.
EXPOSE 1500 8080
VOLUME ["/var/lib/payhsm"]
ENTRYPOINT ["/usr/local/bin/payhsm-gw"]
CMD ["serve", "--listen", "0.0.0.0:1500", "--http", "0.0.0.0:8080", "--data", "/var/lib/payhsm"]
