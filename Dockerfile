# hookflow container image: a static binary plus the default model and configs.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/hookflow ./cmd/hookflow

FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /out/hookflow /usr/local/bin/hookflow
COPY models/ /app/models/
COPY config/ /app/config/
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/hookflow"]
CMD ["serve", "--config", "/app/config/compose.yaml"]
