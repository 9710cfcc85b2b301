namespace MLNet.CSP.Pipelines.Training;

/// <summary>The label's key names (its <c>KeyValues</c> annotation, when text), kept so predictions map back to names.</summary>
internal static class KeyValues
{
    public static string[]? From(DataViewSchema.Column label)
    {
        var column = label.Annotations.Schema.GetColumnOrNull(AnnotationUtils.Kinds.KeyValues);
        if (column is not { Type: VectorDataViewType { ItemType: TextDataViewType } }) return null;
        VBuffer<ReadOnlyMemory<char>> values = default;
        label.GetKeyValues(ref values);
        return values.DenseValues().Select(v => v.ToString()).ToArray();
    }

    /// <summary>Annotations carrying the names, or null without names.</summary>
    public static DataViewSchema.Annotations? ToAnnotations(string[]? names)
    {
        if (names is null) return null;
        var builder = new DataViewSchema.Annotations.Builder();
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> getter = (ref VBuffer<ReadOnlyMemory<char>> value) =>
            value = new VBuffer<ReadOnlyMemory<char>>(names.Length, names.Select(n => n.AsMemory()).ToArray());
        builder.Add(AnnotationUtils.Kinds.KeyValues, new VectorDataViewType(TextDataViewType.Instance, names.Length), getter);
        return builder.ToAnnotations();
    }
}
