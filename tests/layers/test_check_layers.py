"""check_layers.py fails, naming the file and the line, on an include server/LAYERS does not
allow, on a folder without a row, on a row without a folder and on a row a "never" line
forbids; the repository itself passes."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "check_layers.py")
REPOSITORY = os.path.normpath(os.path.join(HERE, "..", ".."))

LAYERS = """# a small tree
core:
db: core
queue: core db
campaign: core db queue

never core: *
never queue: campaign
"""


class CheckLayersTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        self.write("server/LAYERS", LAYERS)
        self.write("server/core/buf.h", "#include <stddef.h>\n")
        self.write("server/db/query.c", '#include "db/query.h"\n#include "core/buf.h"\n')
        self.write("server/queue/send_queue.c", '#include "queue/send_queue.h"\n#include "db/query.h"\n')
        self.write("server/campaign/campaigns.c", '#include "queue/send_queue.h"\n')

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, path, text):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)

    def run_check(self, root=None):
        done = subprocess.run([sys.executable, CHECK, root or self.root], capture_output=True,
                              text=True, timeout=60)
        return done.returncode, done.stdout

    def test_a_tree_that_keeps_its_layers_passes(self):
        self.assertEqual(self.run_check(), (0, ""))

    def test_an_include_the_table_does_not_allow_fails_naming_the_file_and_line(self):
        self.write("server/queue/send_queue.c",
                   '#include "queue/send_queue.h"\n#include "db/query.h"\n'
                   '#include "campaign/campaigns.h"\n')
        rc, out = self.run_check()
        self.assertEqual(rc, 1)
        self.assertIn("server/queue/send_queue.c:3: queue may not include campaign/", out)

    def test_a_folder_without_a_row_fails(self):
        self.write("server/track/links.c", '#include "core/buf.h"\n')
        rc, out = self.run_check()
        self.assertEqual(rc, 1)
        self.assertIn("server/track/ has no row", out)

    def test_a_row_naming_no_folder_fails(self):
        self.write("server/LAYERS", LAYERS + "automation: core\n")
        rc, out = self.run_check()
        self.assertEqual(rc, 1)
        self.assertIn("server/LAYERS:9: automation names no folder", out)

    def test_a_row_allowing_what_a_never_line_forbids_fails(self):
        self.write("server/LAYERS", LAYERS.replace("queue: core db", "queue: core db campaign"))
        rc, out = self.run_check()
        self.assertEqual(rc, 1)
        self.assertIn("server/LAYERS:4: queue may never include campaign (line 8)", out)

    def test_core_may_include_nothing_of_ours(self):
        self.write("server/LAYERS", LAYERS.replace("core:\n", "core: db\n"))
        rc, out = self.run_check()
        self.assertEqual(rc, 1)
        self.assertIn("server/LAYERS:2: core may never include db (line 7)", out)

    def test_the_repository_keeps_its_layers(self):
        rc, out = self.run_check(REPOSITORY)
        self.assertEqual((rc, out), (0, ""))


if __name__ == "__main__":
    unittest.main()
