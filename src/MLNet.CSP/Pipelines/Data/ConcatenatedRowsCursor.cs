namespace MLNet.CSP.Pipelines.Data;

/// <summary>Reads each source's cursor in turn; getters fetched once keep reading the current source's row.</summary>
internal sealed class ConcatenatedRowsCursor : DataViewRowCursor
{
    private readonly IDataView[] sources;
    private readonly HashSet<string> active;
    private readonly DataViewSchema schema;
    private DataViewRowCursor? current;
    private int sourceIndex = -1;
    private long position = -1;

    public ConcatenatedRowsCursor(DataViewSchema schema, IDataView[] sources, IReadOnlyList<string> activeColumns)
    {
        this.schema = schema;
        this.sources = sources;
        active = [.. activeColumns];
    }

    public override DataViewSchema Schema => schema;

    public override long Position => position;

    public override long Batch => 0;

    public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Name);

    public override bool MoveNext()
    {
        while (true)
        {
            if (current is not null && current.MoveNext())
            {
                position++;
                return true;
            }
            current?.Dispose();
            current = null;
            if (++sourceIndex >= sources.Length) return false;
            var source = sources[sourceIndex];
            current = source.GetRowCursor(source.Schema.Where(c => active.Contains(c.Name)));
        }
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!IsColumnActive(column)) throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
        DataViewRowCursor? bound = null;
        ValueGetter<TValue>? getter = null;
        return (ref TValue value) =>
        {
            if (current is null) throw new InvalidOperationException("The cursor is not on a row.");
            if (!ReferenceEquals(bound, current)) (bound, getter) = (current, current.GetGetter<TValue>(current.Schema[column.Name]));
            getter!(ref value);
        };
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) =>
    {
        if (position < 0) throw new InvalidOperationException("The cursor is not on a row.");
        id = new DataViewRowId((ulong)position, 0);
    };

    protected override void Dispose(bool disposing)
    {
        if (disposing) current?.Dispose();
        current = null;
        base.Dispose(disposing);
    }
}
