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
    && mkdir -p /out/data

# Run: distroless static has CA certificates, tzdata and a nonroot user
# (uid 65532); the binary also embeds tzdata (time/tzdata).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/incidentbot /incidentbot
COPY --from=build --chown=65532:65532 /out/data /data
COPY config.example.yaml /etc/incidentbot/config.yaml
# bbolt locks the file: run one replica with /data on a persistent volume.
ENV INCIDENTBOT_STORE_PATH=/data/incidentbot.db
# Listen on all interfaces inside the container so health checks reach the
# admin server; publish the port only where you need it.
ENV INCIDENTBOT_HTTP_LISTEN=:8080
VOLUME /data
EXPOSE 8080
USER 65532:65532
# Set SLACK_BOT_TOKEN and SLACK_APP_TOKEN at run time; mount your own
# config over /etc/incidentbot/config.yaml.
ENTRYPOINT ["/incidentbot"]
CMD ["run", "--config", "/etc/incidentbot/config.yaml"]
