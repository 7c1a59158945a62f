# syntax=docker/dockerfile:1
# The loadplan image: one static binary on distroless, run as a user without privileges.
#
#   docker build -t loadplan:dev --build-arg VERSION=$(git describe --tags --always) .
#   docker run --rm -v "$PWD/examples:/etc/loadplan:ro" loadplan:dev run /etc/loadplan/ai-service.yaml --scenario smoke
#
# On Kubernetes (loadplan k8s render) the plan and its data files are a ConfigMap mounted
# read-only at /etc/loadplan, and the pods run as this image's user, 65532.

ARG GO_VERSION=1.26

# Built on the build machine's platform and cross-compiled: no emulation for other platforms.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/loadplan ./cmd/loadplan

# distroless/static: CA certificates (for https:// targets) and time zones, no shell, no
# package manager; :nonroot runs as 65532:65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/loadplan /usr/local/bin/loadplan
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/loadplan"]
CMD ["--help"]
