"""The CAS server's users, with the attributes of the accounts file besides the Django
user's own fields: a university releases more than a name and an e-mail (its staff number
as "employeeNumber", for one)."""

import json
import os

from cas_server.auth import DjangoAuthUser


def _extra(username: str) -> dict:
    with open(os.environ["ACCOUNTS"]) as accounts:
        users = json.load(accounts)["users"]
    return next((u.get("attributes", {}) for u in users if u["username"] == username), {})


class AccountsAuthUser(DjangoAuthUser):
    def attributs(self):
        attributes = super().attributs()
        return {**attributes, **_extra(self.username)} if attributes else attributes
