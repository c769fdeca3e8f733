"""Load the CAS server's people and the service it serves, from a JSON file:
{"service": "^http://127\\\\.0\\\\.0\\\\.1:.*", "users": [{"username", "password", "email",
"first_name", "last_name", and optionally "attributes": {name: value} released besides
(people.py)}]}. Run as: python manage.py shell < accounts.py, with ACCOUNTS set."""

import json
import os

from cas_server.models import ReplaceAttributName, ServicePattern
from django.contrib.auth.models import User

spec = json.loads(open(os.environ["ACCOUNTS"]).read())  # noqa: SIM115
pattern, _ = ServicePattern.objects.get_or_create(
    name="kexie", pattern=spec["service"], defaults={"single_log_out": True}
)
extra = {name for person in spec["users"] for name in person.get("attributes", {})}
for attribute in ("email", "first_name", "last_name", *sorted(extra)):
    ReplaceAttributName.objects.get_or_create(service_pattern=pattern, name=attribute, replace="")
for person in spec["users"]:
    user, _ = User.objects.get_or_create(username=person["username"])
    user.set_password(person["password"])
    user.email = person.get("email", "")
    user.first_name = person.get("first_name", "")
    user.last_name = person.get("last_name", "")
    user.save()
