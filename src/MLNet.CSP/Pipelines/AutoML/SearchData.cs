namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>The search's training and validation views (label already a key) and their row counts.</summary>
internal sealed record SearchData(IDataView Train, IDataView Validation, string LabelColumnName, string ImageColumnName, long TrainRows, long ValidationRows);
