"""Historic audits from a spreadsheet: each row a submitted audit and its final grade.

`rows` reads and grades the rows, `records` matches them to earlier imports and writes
them. The file itself is opened, checked and run by qa_app.register.importing, as every
import is, and that package lists this one among its kinds: it is loaded first, so either
package can be imported first.
"""

import qa_app.register.importing  # noqa: F401
