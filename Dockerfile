# syntax=docker/dockerfile:1
# Build: docker build -t hanoi-petitions .
# Run:   docker run -p 8000:8000 -e JWT_SECRET=... -v petitions-data:/app/data hanoi-petitions
# Another Python (3.11 or newer): docker build --build-arg PYTHON_VERSION=3.13 -t hanoi-petitions .
ARG PYTHON_VERSION=3.11

# ---- build: a virtual environment with the dependencies and the `petitions` command ----------
FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# Dependencies first (a layer that survives code changes): exactly the pinned, hash-checked
# runtime lock (decision 0010). The project is installed in editable mode without dependencies
# at /app, the same path as in the final image: app/migrations.py finds alembic.ini and alembic/
# beside the app package.
COPY pyproject.toml README.md requirements.lock ./
RUN pip install -r requirements.lock \
 && mkdir app && touch app/__init__.py && pip install --no-deps -e . && rm -rf app

# ---- runtime: no compilers, no pip cache, a non-root user -------------------------------------
FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \
    APP_ENV=production DATABASE_URL=sqlite+aiosqlite:////app/data/petitions.db
RUN groupadd --system --gid 10001 petitions \
 && useradd --system --uid 10001 --gid petitions --home-dir /app --no-create-home \
            --shell /usr/sbin/nologin petitions
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --from=build /app /app
COPY alembic.ini ./
COPY alembic ./alembic
COPY app ./app
RUN mkdir -p /app/data && chown petitions:petitions /app/data
USER petitions
VOLUME ["/app/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
# Migrations, the reference data (idempotent), then the API. With APP_ENV=production the service
# refuses to start without a strong JWT_SECRET, and says why. For PostgreSQL pass DATABASE_URL.
CMD ["sh", "-c", "petitions migrate && petitions seed && exec petitions serve --host 0.0.0.0 --port 8000"]
