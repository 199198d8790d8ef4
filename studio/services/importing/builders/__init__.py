"""Builders for the bundled presets: each turns the shipped data files into ExampleRows.

Rules they share (see common.py): gold goes only into ExampleRow.gold; the order of examples inside a
group and their ids never depend on gold (the source files list true answers first); splits made by
the studio are seeded and by group, so a group never straddles train and test.
"""
