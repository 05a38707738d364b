using System.Collections;
using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json.Serialization;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace CriticBot.Export.Files;

/// <summary>
/// Writes rows of one class as Parquet columns through Parquet.Net's low-level API, with the exact schema its
/// <see cref="ParquetSerializer"/> gives the class (<c>GetParquetSchema(forWriting: true)</c>): each row is walked
/// once along compiled property getters, every struct and list read once for all the columns under it, and the
/// values (non-null only), definition levels and repetition levels (Dremel's shredding) go into each leaf column's
/// typed buffers, reused from one row group to the next. The serializer did the same work through per-row
/// reflection and short-lived memory streams whose finalizers cost a third of its time (docs/performance.md,
/// "Export").
/// </summary>
internal sealed class ParquetColumns
{
    private static readonly ConcurrentDictionary<Type, (ParquetSchema Schema, Func<(ShredNode Root, LeafColumn[] Leaves)> NewPlan)> Plans = new();

    private readonly ShredNode _root;
    private readonly LeafColumn[] _leaves;

    private ParquetColumns(ParquetSchema schema, ShredNode root, LeafColumn[] leaves)
    {
        Schema = schema;
        _root = root;
        _leaves = leaves;
    }

    public ParquetSchema Schema { get; }

    /// <summary>A writer for rows of <paramref name="rowType"/>: the schema and getters are built once per type, the buffers per instance.</summary>
    public static ParquetColumns For(Type rowType)
    {
        var plan = Plans.GetOrAdd(rowType, static type =>
        {
            var schema = type.GetParquetSchema(true);
            return (schema, () => Plan(type, schema));
        });
        var (root, leaves) = plan.NewPlan();
        return new ParquetColumns(plan.Schema, root, leaves);
    }

    /// <summary>Shreds <paramref name="rows"/> into every column in one pass and writes them as one row group.</summary>
    public async Task WriteRowGroupAsync<TRow>(ParquetWriter writer, List<TRow> rows, CancellationToken cancellationToken) where TRow : class
    {
        foreach (var row in rows)
        {
            _root.Shred(row, 0, 0);
        }

        using var group = writer.CreateRowGroup();
        foreach (var leaf in _leaves)
        {
            await leaf.WriteAsync(group, cancellationToken);
            leaf.Clear();
        }

        group.CompleteValidate();
    }

    private static (ShredNode Root, LeafColumn[] Leaves) Plan(Type type, ParquetSchema schema)
    {
        var leaves = new List<LeafColumn>();
        var root = new StructNode(null, 0, [.. schema.Fields.Select(field => PlanField(type, field, parentDefinition: 0, leaves))]);
        if (leaves.Count != schema.GetDataFields().Length)
        {
            throw new NotSupportedException($"{type.Name}: {leaves.Count} leaf columns planned for {schema.GetDataFields().Length} in the schema.");
        }

        return (root, [.. leaves]);
    }

    /// <summary>
    /// Plans the node for <paramref name="field"/>, a property of <paramref name="owner"/> (or, with a null owner, a
    /// list's element itself), adding its leaves to <paramref name="leaves"/> in schema order.
    /// </summary>
    private static ShredNode PlanField(Type? owner, Field field, int parentDefinition, List<LeafColumn> leaves)
    {
        var property = owner is null ? null : PropertyOf(owner, field.Name);
        var getter = property is null || field is DataField ? null : ObjectGetter(property);
        var valueType = property is null ? null : System.Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        switch (field)
        {
            case DataField data:
            {
                var leaf = LeafColumn.Create(data, property, parentDefinition);
                leaves.Add(leaf);
                return leaf;
            }

            case StructField structField:
            {
                var structType = valueType ?? throw new NotSupportedException($"{field.Name}: a struct needs its class.");
                return new StructNode(getter, field.MaxDefinitionLevel - parentDefinition,
                    [.. structField.Fields.Select(child => PlanField(structType, child, field.MaxDefinitionLevel, leaves))]);
            }

            case ListField list:
            {
                var listType = valueType ?? throw new NotSupportedException($"{field.Name}: a list needs its class.");
                var elementType = listType.GetGenericArguments()[0];
                // The list's own level counts the optional list group (when nullable) and the repeated group.
                var definitionIncrement = list.MaxDefinitionLevel - parentDefinition - 1;
                ShredNode element = list.Item switch
                {
                    StructField item => new StructNode(null, item.MaxDefinitionLevel - list.MaxDefinitionLevel,
                        [.. item.Fields.Select(child => PlanField(elementType, child, item.MaxDefinitionLevel, leaves))]),
                    DataField item => Leaf(LeafColumn.Create(item, null, list.MaxDefinitionLevel), leaves),
                    _ => throw new NotSupportedException($"{field.Name}: lists of lists are not exported."),
                };
                return new ListNode(getter, definitionIncrement, list.MaxRepetitionLevel, element);
            }

            default:
                throw new NotSupportedException($"{field.Name}: {field.GetType().Name} is not a field exported rows may hold.");
        }
    }

    private static LeafColumn Leaf(LeafColumn leaf, List<LeafColumn> leaves)
    {
        leaves.Add(leaf);
        return leaf;
    }

    private static PropertyInfo PropertyOf(Type owner, string name) =>
        owner.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => (p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? p.Name) == name)
        ?? throw new NotSupportedException($"{owner.Name}: no property for the Parquet field {name}.");

    private static Func<object, object?> ObjectGetter(PropertyInfo property) => Getter<object>(property);

    /// <summary>
    /// <c>row =&gt; (TValue)((Owner)row).Property</c>, or for a list's element (no property) <c>row =&gt; (TValue)row</c>:
    /// value-typed leaves read as <c>T?</c> without boxing.
    /// </summary>
    internal static Func<object, TValue> Getter<TValue>(PropertyInfo? property)
    {
        var row = Expression.Parameter(typeof(object), "row");
        Expression value = property is null ? row : Expression.Property(Expression.Convert(row, property.DeclaringType!), property);
        return Expression.Lambda<Func<object, TValue>>(Expression.Convert(value, typeof(TValue)), row).Compile();
    }
}

/// <summary>
/// A node of the row's shape, as the shredder walks it: a struct (or the row itself), a list, or a leaf column.
/// <see cref="Shred"/> appends what <paramref name="parent"/> holds under this node to every leaf below it.
/// </summary>
internal abstract class ShredNode
{
    /// <param name="parent">The object holding this node's property (for a list's element or the row: the value itself).</param>
    /// <param name="definition">The definition level reached above this node.</param>
    /// <param name="repetition">The repetition level of the value being written.</param>
    public abstract void Shred(object parent, int definition, int repetition);

    /// <summary>Records an absent value (a null or empty level above) in every leaf below, at these levels.</summary>
    public abstract void Absent(int definition, int repetition);
}

/// <summary>A struct: read once (null getter: the value is the parent itself), then each field below it.</summary>
internal sealed class StructNode(Func<object, object?>? getter, int definitionIncrement, ShredNode[] children) : ShredNode
{
    public override void Shred(object parent, int definition, int repetition)
    {
        var value = getter is null ? parent : getter(parent);
        if (value is null)
        {
            Absent(definition, repetition);
            return;
        }

        definition += definitionIncrement;
        foreach (var child in children)
        {
            child.Shred(value, definition, repetition);
        }
    }

    public override void Absent(int definition, int repetition)
    {
        foreach (var child in children)
        {
            child.Absent(definition, repetition);
        }
    }
}

/// <summary>A list: each element at the list's repetition level (the first at the parent's); null, empty and null elements at their own definition levels.</summary>
internal sealed class ListNode(Func<object, object?>? getter, int definitionIncrement, int repetitionLevel, ShredNode element) : ShredNode
{
    public override void Shred(object parent, int definition, int repetition)
    {
        if (getter!(parent) is not IList list)
        {
            element.Absent(definition, repetition);
            return;
        }

        definition += definitionIncrement;
        if (list.Count == 0)
        {
            element.Absent(definition, repetition);
            return;
        }

        for (var i = 0; i < list.Count; i++)
        {
            var elementRepetition = i == 0 ? repetition : repetitionLevel;
            if (list[i] is { } item)
            {
                element.Shred(item, definition + 1, elementRepetition);
            }
            else
            {
                element.Absent(definition + 1, elementRepetition);
            }
        }
    }

    public override void Absent(int definition, int repetition) => element.Absent(definition, repetition);
}

/// <summary>One leaf column's buffers: values (defined ones only), definition and repetition levels.</summary>
internal abstract class LeafColumn : ShredNode
{
    private readonly int _definitionIncrement;
    private int[] _definitions = [];
    private int[] _repetitions = [];

    protected LeafColumn(DataField field, int parentDefinition)
    {
        Field = field;
        _definitionIncrement = field.MaxDefinitionLevel - parentDefinition;
    }

    public DataField Field { get; }

    protected int LevelCount { get; private set; }

    protected int ValueCount { get; set; }

    // Passed even for required, unrepeated columns (all zero): Parquet.Net 6.1 counts a column's rows from its
    // levels and reports 0 rows without them.
    protected ReadOnlyMemory<int>? Definitions => _definitions.AsMemory(0, LevelCount);

    protected ReadOnlyMemory<int>? Repetitions => _repetitions.AsMemory(0, LevelCount);

    /// <param name="property">The leaf's property, or null when the leaf is a list's element itself.</param>
    public static LeafColumn Create(DataField field, PropertyInfo? property, int parentDefinition)
    {
        var type = property is null ? field.ClrType : System.Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (field.ClrType == typeof(ReadOnlyMemory<char>) && (property is null || type == typeof(string)))
        {
            return new StringColumn(field, ParquetColumns.Getter<string?>(property), parentDefinition);
        }

        LeafColumn? column = type == typeof(bool) ? new ValueColumn<bool>(field, ParquetColumns.Getter<bool?>(property), parentDefinition)
            : type == typeof(int) ? new ValueColumn<int>(field, ParquetColumns.Getter<int?>(property), parentDefinition)
            : type == typeof(long) ? new ValueColumn<long>(field, ParquetColumns.Getter<long?>(property), parentDefinition)
            : type == typeof(double) ? new ValueColumn<double>(field, ParquetColumns.Getter<double?>(property), parentDefinition)
            : type == typeof(DateTime) ? new ValueColumn<DateTime>(field, ParquetColumns.Getter<DateTime?>(property), parentDefinition)
            : null;
        if (column is null || field.ClrType != type)
        {
            throw new NotSupportedException($"{field.Name}: a {type.Name} property for a Parquet {field.ClrType.Name} column.");
        }

        return column;
    }

    public abstract Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken);

    public virtual void Clear()
    {
        LevelCount = 0;
        ValueCount = 0;
    }

    /// <summary>Appends the value read from <paramref name="parent"/>, or nothing when it is null; true when it was not.</summary>
    protected abstract bool TryAppendValue(object parent);

    public override void Shred(object parent, int definition, int repetition)
    {
        if (TryAppendValue(parent))
        {
            AddLevels(definition + _definitionIncrement, repetition);
        }
        else if (_definitionIncrement == 0)
        {
            throw new InvalidOperationException($"{Field.Path}: a required value is null.");
        }
        else
        {
            AddLevels(definition, repetition);
        }
    }

    public override void Absent(int definition, int repetition) => AddLevels(definition, repetition);

    private void AddLevels(int definition, int repetition)
    {
        if (LevelCount == _definitions.Length)
        {
            var size = Math.Max(1024, _definitions.Length * 2);
            Array.Resize(ref _definitions, size);
            Array.Resize(ref _repetitions, size);
        }

        _definitions[LevelCount] = definition;
        _repetitions[LevelCount] = repetition;
        LevelCount++;
    }

    protected static void Grow<T>(ref T[] buffer, int count)
    {
        if (count == buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(1024, buffer.Length * 2));
        }
    }
}

internal sealed class ValueColumn<T>(DataField field, Func<object, T?> getter, int parentDefinition)
    : LeafColumn(field, parentDefinition) where T : struct
{
    private T[] _values = [];

    public override Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken) =>
        group.WriteAllPartsAsync<T>(Field, _values.AsMemory(0, ValueCount), Definitions, Repetitions, cancellationToken);

    protected override bool TryAppendValue(object parent)
    {
        var value = getter(parent);
        if (value is null)
        {
            return false;
        }

        Grow(ref _values, ValueCount);
        _values[ValueCount++] = value.GetValueOrDefault();
        return true;
    }
}

internal sealed class StringColumn(DataField field, Func<object, string?> getter, int parentDefinition)
    : LeafColumn(field, parentDefinition)
{
    private ReadOnlyMemory<char>[] _values = [];

    public override Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken) =>
        group.WriteAllPartsAsync<ReadOnlyMemory<char>>(Field, _values.AsMemory(0, ValueCount), Definitions, Repetitions, cancellationToken);

    public override void Clear()
    {
        // Drop the references so the strings of a written group can be collected.
        Array.Clear(_values, 0, ValueCount);
        base.Clear();
    }

    protected override bool TryAppendValue(object parent)
    {
        if (getter(parent) is not { } value)
        {
            return false;
        }

        Grow(ref _values, ValueCount);
        _values[ValueCount++] = value.AsMemory();
        return true;
    }
}
