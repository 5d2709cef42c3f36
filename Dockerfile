# One image for web, realtime, worker and beat (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir -r requirements/base.txt
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0
RUN SECRET_KEY=build-only python manage.py compile_translations
RUN useradd --system --home /app helpdesk && mkdir -p /app/var/media && chown -R helpdesk /app/var
USER helpdesk
EXPOSE 8000 8001
CMD ["python", "-m", "granian", "--interface", "wsgi", "helpdesk.wsgi:application", "--host", "0.0.0.0", "--port", "8000", "--no-ws", "--workers", "2", "--blocking-threads", "1"]
