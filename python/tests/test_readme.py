"""README's "From Python" examples run as written."""
import os
import re

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def test_the_readme_examples_run(tmp_path, monkeypatch, capsys):
    with open(README, encoding="utf-8") as file:
        text = file.read()
    section = text.split("## From Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 2
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2
    assert namespace["report"].opis > 0 and namespace["report"].intervals["opis"][0] <= namespace["report"].opis
    assert "'opis': " in printed[1] and "'precision_at_1': " in printed[1]
