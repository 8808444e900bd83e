-- test: test_attributes_compile_beside_the_label_exactly
-- Invoices with their issue date and customer (attributes of a key-labelled dimension), by date.
-- params: ['2021-01-01', '2022-01-01']
-- columns: ['invoice_id', 'invoice', 'invoice__issued', 'invoice__customer', 'amount_billed']
WITH invoice_lines AS (
  /* model invoice_lines (table invoice_line): measures billed */
  SELECT
    il.invoice_no AS invoice_id,
    SUM(il.copies * il.price) AS billed
  FROM invoice_line AS il
  JOIN invoice AS i
    ON il.invoice_no = i.invoice_no
  WHERE
    i.issued_on >= ? AND i.issued_on < ?
  GROUP BY
    il.invoice_no
), invoice__labels AS (
  /* dimension invoice: member labels and attributes (en) from invoice */
  SELECT
    invoice_no AS member_key,
    MIN(invoice_no) AS label,
    MIN(issued_on) AS invoice__issued,
    MIN(buyer) AS invoice__customer
  FROM invoice
  WHERE
    NOT invoice_no IS NULL
  GROUP BY
    invoice_no
), metric_values AS (
  /* metrics amount_billed */
  SELECT
    invoice_lines.invoice_id AS invoice_id,
    invoice__labels.label AS invoice,
    invoice__labels.invoice__issued AS invoice__issued,
    invoice__labels.invoice__customer AS invoice__customer,
    COALESCE(invoice_lines.billed, 0) AS amount_billed
  FROM invoice_lines
  LEFT JOIN invoice__labels
    ON invoice__labels.member_key = invoice_lines.invoice_id
)
SELECT
  invoice_id,
  invoice,
  invoice__issued,
  invoice__customer,
  amount_billed
FROM metric_values
ORDER BY
  invoice__issued ASC,
  invoice_id ASC
LIMIT 10;
