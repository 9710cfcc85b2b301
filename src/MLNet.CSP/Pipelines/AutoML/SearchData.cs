namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// The search's training and validation views (label already a key), their row counts, and the view both were split from
/// (null when the caller gave them apart).
/// </summary>
internal sealed record SearchData(IDataView Train, IDataView Validation, string LabelColumnName, string ImageColumnName, long TrainRows, long ValidationRows,
    IDataView? Whole = null);
