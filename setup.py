"""Build hook: bundle the skill pack's text into the wheel.

skills/, references/ and commands/ live at the top of the repository (where
Claude Code and Agent Skills tools expect them). A plain `pip install .`
would leave them behind, so build_py copies them into `mlproof/_content/`,
where `mlproof.content` finds them after installation. Metadata stays in
pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
CONTENT_FOLDERS = ("skills", "references", "commands")


class build_py_with_content(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the folders in place
        target = Path(self.build_lib) / "mlproof" / "_content"
        for folder in CONTENT_FOLDERS:
            source = HERE / folder
            if source.is_dir():
                shutil.rmtree(target / folder, ignore_errors=True)
                shutil.copytree(source, target / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": build_py_with_content})
