"""The routemap dashboard entrypoint (``routemap serve`` runs it)."""

import streamlit as st

from loaders.load import load_dataset

st.set_page_config(page_title="routemap", layout="wide")
st.title("routemap")
dataset = load_dataset("demo")
report = dataset.report
st.caption(f"{dataset.meta.name}: {report.records} records, {report.places_resolved} of "
           f"{report.places_unique} places resolved")
st.dataframe(dataset.records.head(200))
