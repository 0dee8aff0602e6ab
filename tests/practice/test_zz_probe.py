def test_probe(alpha):
    r = alpha.http().get("/accounts/sign-in/")
    print(r.content.decode()[:1200])
    print(r.context["site_name"] if r.context else None)
