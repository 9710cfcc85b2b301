namespace MLNet.CSP.Pipelines.Classification;

/// <summary>
/// Trains or fine-tunes a CSP image classifier inside an ML.NET pipeline (CPU, or CUDA with a CUDA libtorch).
/// Input: an image column and a key-typed label; output: <c>Score</c> (class probabilities) and
/// <c>PredictedLabel</c> (the label's key type, so <c>MapKeyToValue</c> restores the names).
/// </summary>
public sealed class CspImageClassificationTrainer : CspEstimator<CspImageClassificationOptions, CspImageClassificationTransformer>
{
    /// <summary>Options of the trainer (see <see cref="CspImageClassificationOptions"/> for every setting and default).</summary>
    public sealed class Options : CspImageClassificationOptions
    {
    }

    internal CspImageClassificationTrainer(IHostEnvironment env, CspImageClassificationOptions options)
        : base(env, options, nameof(CspImageClassificationTrainer))
    {
    }

    private protected override IEnumerable<SchemaShape.Column> AppendedColumns(SchemaShape inputSchema)
    {
        ImageColumn.Check(inputSchema, options.ImageColumnName);
        var label = inputSchema.FirstOrDefault(c => c.Name == options.LabelColumnName);
        if (label.Name is null) throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Could not find label column '{options.LabelColumnName}'");
        if (!label.IsKey || label.Kind != SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), LabelMismatch(label.ItemType?.ToString() ?? "unknown"));
        return
        [
            MLNetInternals.VectorColumn(options.ScoreColumnName, NumberDataViewType.Single),
            MLNetInternals.ScalarColumn(options.PredictedLabelColumnName, label.ItemType!, isKey: true, label.Annotations),
        ];
    }

    /// <inheritdoc />
    public override CspImageClassificationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var imageKind = ImageColumn.Check(input.Schema, options.ImageColumnName);
        var (labelColumn, classes) = CheckLabel(input.Schema);
        if (options.ValidationSet is not null)
        {
            ImageColumn.Check(options.ValidationSet.Schema, options.ImageColumnName);
            var (_, validationClasses) = CheckLabel(options.ValidationSet.Schema);
            if (validationClasses != classes)
                throw new ArgumentException($"The validation set's label has {validationClasses} classes, the training set's {classes}; map both with the same MapValueToKey transformer.", nameof(input));
        }
        using var threads = TorchThreads.Use(options.TorchThreads);
        var (device, preprocessing) = NetworkSetup.Prepare(host, options);
        int seed = host.Rand.Next();
        var model = NetworkSetup.Create(options, classes, seed);
        try
        {
            var layout = new ClassificationLayout(options.LabelColumnName, classes, preprocessing, options.Augmentation, options.MinCropScale);
            using (var data = TrainingData<long, Tensor>.Read(host, options, input, imageKind, layout, seed))
            {
                if (data.Train.Targets.Distinct().Count() < 2)
                    throw new InvalidOperationException($"The training data holds a single class; a classifier needs at least two (label column '{options.LabelColumnName}').");
                var task = new ClassificationTask(model, options, preprocessing.ImageSize);
                new TrainingLoop<Tensor>(host, options, task, data.Train, data.Validation, device, seed).Run();
            }
            var settings = new ClassifierSettings(options.ImageColumnName, options.LabelColumnName, options.ScoreColumnName,
                options.PredictedLabelColumnName, classes, KeyValues.From(labelColumn), options.InferenceBatchSize, options.Device, options.FallbackToCpu, options.InferenceEngine);
            return new CspImageClassificationTransformer(host, settings,
                new InferenceNetwork(model, preprocessing, GlobalPooling.Average, device, options.TorchThreads, options.InferenceEngine));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private (DataViewSchema.Column Column, int Classes) CheckLabel(DataViewSchema schema)
    {
        var label = schema.GetColumnOrNull(options.LabelColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Could not find label column '{options.LabelColumnName}'");
        if (label.Type is not KeyDataViewType key || key.RawType != typeof(uint))
            throw new ArgumentOutOfRangeException(nameof(schema), LabelMismatch(label.Type.ToString() ?? "unknown"));
        if (key.Count < 2)
            throw new InvalidOperationException($"The label column '{options.LabelColumnName}' has {key.Count} class; a classifier needs at least two.");
        if (key.Count > int.MaxValue) throw new InvalidOperationException("Too many classes.");
        return (label, (int)key.Count);
    }

    private string LabelMismatch(string actual) =>
        $"Schema mismatch for label column '{options.LabelColumnName}': expected Key<UInt32>, got {actual} (map the labels with mlContext.Transforms.Conversion.MapValueToKey)";

}
