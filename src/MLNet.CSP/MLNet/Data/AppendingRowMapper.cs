using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.CSP.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.MLNet.Data;

/// <summary>
/// Row-to-row form of a one-to-one image transform, used by <c>PredictionEngine</c>: each row's values are
/// computed on first access (a batch of one) and cached for that row. One mapper serves one engine; several
/// mappers can share the same network from several threads.
/// </summary>
internal sealed class AppendingRowMapper : IRowToRowMapper
{
    private readonly ColumnMapping mapping;
    private readonly ImagePreprocessing preprocessing;
    private readonly IReadOnlyList<(int Offset, int Length)> slices;
    private readonly Action<Tensor, Span<float>> compute;
    private readonly int valuesPerRow;

    public AppendingRowMapper(ColumnMapping mapping, ImagePreprocessing preprocessing,
        IReadOnlyList<(int Offset, int Length)> slices, Action<Tensor, Span<float>> compute)
    {
        this.mapping = mapping;
        this.preprocessing = preprocessing;
        this.slices = slices;
        this.compute = compute;
        valuesPerRow = slices.Sum(s => s.Length);
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
            values = new float[owner.valuesPerRow];
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
            if (typeof(TValue) != typeof(VBuffer<float>))
                throw new InvalidOperationException($"Column '{column.Name}' holds VBuffer<Single>, not {typeof(TValue).Name}.");
            var (offset, length) = owner.slices[column.Index - owner.mapping.FirstOutputIndex];
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                EnsureComputed();
                var editor = VBufferEditor.Create(ref value, length);
                values.AsSpan(offset, length).CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }

        private void EnsureComputed()
        {
            // PredictionEngine reuses one input row object and may report the same position for every call,
            // so compute on each access unless the row really is a cursor row we have already seen.
            if (input.Position >= 0 && input.Position == computedPosition && input is DataViewRowCursor) return;
            var (image, owns) = readImage!();
            try
            {
                using var scope = torch.NewDisposeScope();
                var batch = ImageTensors.Preprocess(image, owner.preprocessing).unsqueeze(0);
                owner.compute(batch, values);
            }
            finally
            {
                if (owns) image.Dispose();
            }
            computedPosition = input.Position;
        }
    }
}
