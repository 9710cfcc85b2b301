namespace MLNet.CSP.Pipelines.Data;

/// <summary>The values a transform computed for the current row (its network outputs, concatenated).</summary>
internal delegate ReadOnlySpan<float> RowValues();

/// <summary>How an appended column is derived from the row's computed values.</summary>
internal enum AppendedKind
{
    /// <summary>A known-size float vector: the values [Offset, Offset + Length).</summary>
    FloatVector,
    /// <summary>A key: 1 + the index of the largest of the values [Offset, Offset + Length).</summary>
    ArgMaxKey,
    /// <summary>A float vector of a per-row length: the count at Offset, then that many values.</summary>
    VariableFloatVector,
}

/// <summary>A column appended by a one-to-one image transform.</summary>
internal sealed record AppendedColumn(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations, int Offset, int Length, AppendedKind Kind)
{
    public static AppendedColumn Vector(string name, int offset, int length, DataViewSchema.Annotations? annotations = null) =>
        new(name, new VectorDataViewType(NumberDataViewType.Single, length), annotations, offset, length, AppendedKind.FloatVector);

    /// <summary>
    /// A vector whose length differs from row to row (up to <paramref name="capacity"/> values, e.g. the boxes a detector
    /// found): the row's slot holds the count first, then the values.
    /// </summary>
    public static AppendedColumn VariableVector(string name, int offset, int capacity, DataViewSchema.Annotations? annotations = null) =>
        new(name, new VectorDataViewType(NumberDataViewType.Single), annotations, offset, capacity + 1, AppendedKind.VariableFloatVector);

    public static AppendedColumn ArgMax(string name, KeyDataViewType keyType, int offset, int length, DataViewSchema.Annotations? annotations = null) =>
        new(name, keyType, annotations, offset, length, AppendedKind.ArgMaxKey);

    /// <summary>A getter reading this column from the current row's values.</summary>
    public ValueGetter<TValue> CreateGetter<TValue>(RowValues values)
    {
        if (Kind == AppendedKind.FloatVector)
        {
            if (typeof(TValue) != typeof(VBuffer<float>)) throw WrongType(typeof(VBuffer<float>), typeof(TValue));
            ValueGetter<VBuffer<float>> vector = (ref VBuffer<float> value) =>
            {
                var editor = VBufferEditor.Create(ref value, Length);
                values().Slice(Offset, Length).CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)vector;
        }
        if (Kind == AppendedKind.VariableFloatVector)
        {
            if (typeof(TValue) != typeof(VBuffer<float>)) throw WrongType(typeof(VBuffer<float>), typeof(TValue));
            ValueGetter<VBuffer<float>> variable = (ref VBuffer<float> value) =>
            {
                var slot = values().Slice(Offset, Length);
                int count = (int)slot[0];
                if (count < 0 || count > Length - 1)
                    throw new InvalidOperationException($"Column '{Name}': {count} values computed for a row, capacity {Length - 1}.");
                var editor = VBufferEditor.Create(ref value, count);
                slot.Slice(1, count).CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)variable;
        }
        if (typeof(TValue) != typeof(uint)) throw WrongType(typeof(uint), typeof(TValue));
        ValueGetter<uint> key = (ref uint value) =>
        {
            var slice = values().Slice(Offset, Length);
            int best = 0;
            for (int i = 1; i < slice.Length; i++) if (slice[i] > slice[best]) best = i;
            value = (uint)best + 1;
        };
        return (ValueGetter<TValue>)(Delegate)key;
    }

    private InvalidOperationException WrongType(Type expected, Type actual) =>
        new($"Column '{Name}' holds {expected.Name}, not {actual.Name}.");
}
