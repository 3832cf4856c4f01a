import pytest
from django.urls import reverse

from backoffice.tools import tools_for

pytestmark = pytest.mark.django_db


def test_every_registered_tool_opens_for_a_superuser(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "a-long-admin-password")
    client.force_login(admin)
    page = client.get(reverse("backoffice:tools"))
    assert page.status_code == 200
    body = page.content.decode()
    tools = tools_for(admin)
    assert {"Microsoft Cloud Services"} <= {tool.title for tool in tools}
    for tool in tools:
        assert tool.title in body
        assert client.get(reverse(tool.url_name)).status_code == 200, tool.title
