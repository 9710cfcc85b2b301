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
    /// <summary>A key vector of a per-row length: the count at Offset, then that many 0-based class indices.</summary>
    VariableKeyVector,
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

    /// <summary>A vector of keys whose length differs from row to row (e.g. the class of each box a detector found).</summary>
    public static AppendedColumn VariableKeys(string name, KeyDataViewType keyType, int offset, int capacity, DataViewSchema.Annotations? annotations = null) =>
        new(name, new VectorDataViewType(keyType), annotations, offset, capacity + 1, AppendedKind.VariableKeyVector);

    public static AppendedColumn ArgMax(string name, KeyDataViewType keyType, int offset, int length, DataViewSchema.Annotations? annotations = null) =>
        new(name, keyType, annotations, offset, length, AppendedKind.ArgMaxKey);

    /// <summary>A getter reading this column from the current row's values.</summary>
    public ValueGetter<TValue> CreateGetter<TValue>(RowValues values) => Kind switch
    {
        AppendedKind.FloatVector or AppendedKind.VariableFloatVector => Vector<TValue, float>(values, v => v),
        AppendedKind.VariableKeyVector => Vector<TValue, uint>(values, v => (uint)v + 1),
        _ => Cast<TValue, uint>((ref uint value) =>
        {
            var slice = values().Slice(Offset, Length);
            int best = 0;
            for (int i = 1; i < slice.Length; i++) if (slice[i] > slice[best]) best = i;
            value = (uint)best + 1;
        }),
    };

    /// <summary>A vector getter: the row's items (all of the slot, or the counted ones of a variable column), converted.</summary>
    private ValueGetter<TValue> Vector<TValue, TItem>(RowValues values, Func<float, TItem> convert) =>
        Cast<TValue, VBuffer<TItem>>((ref VBuffer<TItem> value) =>
        {
            var items = Kind == AppendedKind.FloatVector ? values().Slice(Offset, Length) : RowItems(values());
            var editor = VBufferEditor.Create(ref value, items.Length);
            for (int i = 0; i < items.Length; i++) editor.Values[i] = convert(items[i]);
            value = editor.Commit();
        });

    private ValueGetter<TValue> Cast<TValue, THeld>(ValueGetter<THeld> getter) =>
        typeof(TValue) == typeof(THeld) ? (ValueGetter<TValue>)(Delegate)getter : throw WrongType(typeof(THeld), typeof(TValue));

    /// <summary>The row's items of a variable-length column (its slot holds the count first).</summary>
    private ReadOnlySpan<float> RowItems(ReadOnlySpan<float> row)
    {
        var slot = row.Slice(Offset, Length);
        int count = (int)slot[0];
        if (count < 0 || count > Length - 1)
            throw new InvalidOperationException($"Column '{Name}': {count} values computed for a row, capacity {Length - 1}.");
        return slot.Slice(1, count);
    }

    private InvalidOperationException WrongType(Type expected, Type actual) =>
        new($"Column '{Name}' holds {expected.Name}, not {actual.Name}.");
}
