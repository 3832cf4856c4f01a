FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir .
RUN useradd --create-home cspbss && mkdir -p /var/lib/cspbss && chown cspbss /var/lib/cspbss
USER cspbss
EXPOSE 8000
