# syntax=docker/dockerfile:1

# Build: a static binary, no cgo (bbolt is pure Go).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/incidentbot ./cmd/incidentbot \
    && mkdir -p /out/data \
    && sed -e 's|^  path: "data/incidentbot.db"|  path: "/data/incidentbot.db"|' \
           -e 's|^  listen: "127.0.0.1:8080"|  listen: ":8080"|' \
           config.example.yaml > /out/config.yaml \
    && grep -q '"/data/incidentbot.db"' /out/config.yaml && grep -q 'listen: ":8080"' /out/config.yaml

# Run: distroless static has CA certificates, tzdata and a nonroot user
# (uid 65532); the binary also embeds tzdata (time/tzdata).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/incidentbot /incidentbot
COPY --from=build --chown=65532:65532 /out/data /data
# The example config, with the database on the /data volume and the admin
# server on all interfaces so that health checks reach it. Mount your own
# over it; nothing in the environment overrides what you mount.
# The backup endpoint answers loopback clients only (docker exec).
COPY --from=build /out/config.yaml /etc/incidentbot/config.yaml
# bbolt locks the file: run one replica with /data on a persistent volume.
VOLUME /data
EXPOSE 8080
USER 65532:65532
# Set SLACK_BOT_TOKEN and SLACK_APP_TOKEN at run time; mount your own
# config over /etc/incidentbot/config.yaml.
ENTRYPOINT ["/incidentbot"]
CMD ["run", "--config", "/etc/incidentbot/config.yaml"]
