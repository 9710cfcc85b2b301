namespace MLNet.CSP.Pipelines.Data;

/// <summary>
/// Cursor of a one-to-one image transform: input columns come straight from the input cursor; appended columns
/// are derived from the current row's computed values, served in batches by a <see cref="BatchedFeatureSource"/>.
/// </summary>
internal sealed class AppendingCursor : DataViewRowCursor
{
    private readonly DataViewRowCursor input;
    private readonly ColumnMapping mapping;
    private readonly BatchedFeatureSource? source;
    private readonly bool[] active;
    private readonly ValueGetter<DataViewRowId> idGetter;

    public AppendingCursor(DataViewRowCursor input, ColumnMapping mapping, BatchedFeatureSource? source,
        IEnumerable<DataViewSchema.Column> activeColumns)
    {
        this.input = input;
        this.mapping = mapping;
        this.source = source;
        active = new bool[mapping.OutputSchema.Count];
        foreach (var c in activeColumns) active[c.Index] = true;
        idGetter = input.GetIdGetter();
    }

    public override DataViewSchema Schema => mapping.OutputSchema;

    public override long Position => input.Position;

    public override long Batch => input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => active[column.Index];

    public override bool MoveNext()
    {
        if (!input.MoveNext()) return false;
        if (source is not null)
        {
            DataViewRowId id = default;
            idGetter(ref id);
            source.MoveNext(id);
        }
        return true;
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!active[column.Index]) throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
        if (!mapping.IsOutput(column)) return input.GetGetter<TValue>(input.Schema[column.Index]);
        var feature = source!;
        return mapping.OutputFor(column).CreateGetter<TValue>(() => feature.Current);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            source?.Dispose();
            input.Dispose();
        }
        base.Dispose(disposing);
    }
}
