"""The service as gunicorn runs it, plus one bare Flask JSON endpoint in the same process:
the framework's ceiling, measured under the same config, workers and load generator."""

from flask import jsonify

from wsgi import app


@app.get("/bench/bare")
def bare():
    return jsonify({"id": 1, "name": "bare"})
