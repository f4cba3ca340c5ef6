# Backline: the Telegram bot, as a small image that runs as a non-root user.
# Build: docker build -t backline .
# Run:   docker run -d --name backline -e TELEGRAM_BOT_TOKEN=... -v backline-data:/data backline
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BACKLINE_FLOWS=/app/flows \
    BACKLINE_CONTENT=/app/content \
    DATABASE_URL=sqlite:////data/backline.db \
    MPLCONFIGDIR=/tmp/matplotlib
COPY --from=build /install /usr/local
COPY flows /app/flows
COPY content /app/content
RUN useradd --create-home --uid 10001 backline && mkdir /data && chown backline /data
USER backline
VOLUME /data
# Webhook mode listens here (backline run --webhook-url https://... --port 8080).
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["backline", "health"]
CMD ["backline", "run"]
