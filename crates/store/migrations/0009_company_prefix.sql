-- A product's GS1 Company Prefix as its organisation's registration
-- certificate states it (crates/store/src/products.rs): 7 to 10 digits that
-- start the GTIN-14 after its indicator digit; NULL when not given. The
-- EPCIS query turns Digital Links into EPC URNs only with a registered prefix.
ALTER TABLE products ADD COLUMN company_prefix TEXT;
