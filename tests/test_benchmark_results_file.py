"""benchmarks/results_file.py, the one writer of benchmarks/RESULTS.md: a benchmark rewrites
only its own section, between its markers, and appends it when the file has none yet."""

from benchmarks.results_file import write_section


def test_a_benchmark_rewrites_only_its_own_section_and_appends_a_new_one(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\nhistory\n\n<!-- a: begin -->\nold a\n<!-- a: end -->\n\nkept\n")
    write_section("<!-- a: begin -->\nnew a\n<!-- a: end -->", "<!-- a: begin -->", "<!-- a: end -->", path)
    write_section("<!-- b: begin -->\nb\n<!-- b: end -->", "<!-- b: begin -->", "<!-- b: end -->", path)
    assert path.read_text() == ("# Benchmark results\n\nhistory\n\n<!-- a: begin -->\nnew a\n<!-- a: end -->\n\n"
                                "kept\n\n<!-- b: begin -->\nb\n<!-- b: end -->\n")
