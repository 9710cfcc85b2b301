namespace MLNet.CSP.Pipelines.Data;

/// <summary>
/// Row-to-row form of a one-to-one image transform, used by <c>PredictionEngine</c>: each row's values are
/// computed on first access (a batch of one) and cached for that row. One mapper serves one engine; several
/// mappers can share the same network from several threads.
/// </summary>
internal sealed class AppendingRowMapper : IRowToRowMapper
{
    private readonly ColumnMapping mapping;
    private readonly RowComputation computation;

    public AppendingRowMapper(ColumnMapping mapping, RowComputation computation)
    {
        this.mapping = mapping;
        this.computation = computation;
    }

    public DataViewSchema InputSchema => mapping.InputSchema;

    public DataViewSchema OutputSchema => mapping.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        mapping.Dependencies(dependingColumns);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new MappedRow(this, input, activeColumns);

    private sealed class MappedRow : DataViewRow
    {
        private readonly AppendingRowMapper owner;
        private readonly DataViewRow input;
        private readonly bool[] active;
        private readonly Func<(MLImage Image, bool OwnsImage)>? readImage;
        private readonly float[] values;
        private long computedPosition = -1;

        public MappedRow(AppendingRowMapper owner, DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        {
            this.owner = owner;
            this.input = input;
            active = new bool[owner.OutputSchema.Count];
            foreach (var c in activeColumns) active[c.Index] = true;
            values = new float[owner.mapping.ValuesPerRow];
            if (active.Skip(owner.mapping.FirstOutputIndex).Any(a => a))
                readImage = ImageColumn.CreateReader(input, input.Schema[owner.mapping.ImageColumn.Index], owner.mapping.ImageKind);
        }

        public override DataViewSchema Schema => owner.OutputSchema;

        public override long Position => input.Position;

        public override long Batch => input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!active[column.Index]) throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
            if (!owner.mapping.IsOutput(column)) return input.GetGetter<TValue>(input.Schema[column.Index]);
            return owner.mapping.OutputFor(column).CreateGetter<TValue>(() =>
            {
                EnsureComputed();
                return values;
            });
        }

        private void EnsureComputed()
        {
            // PredictionEngine advances its input row's position on every prediction; compute once per position.
            if (input.Position >= 0 && input.Position == computedPosition) return;
            var (image, owns) = readImage!();
            try
            {
                using var scope = torch.NewDisposeScope();
                var batch = owner.computation.Preprocess(image).unsqueeze(0);
                owner.computation.Compute(batch, [(image.Width, image.Height)], values);
            }
            finally
            {
                if (owns) image.Dispose();
            }
            computedPosition = input.Position;
        }
    }
}
