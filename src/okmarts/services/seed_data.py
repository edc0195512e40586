"""Static data for the demo catalog built by services.seed: brands, the category tree, product kinds.

Category names, category descriptions and spec KEYS are English source strings marked with N_ so
Babel extracts them; templates translate them where shown. Titles, spec values, brand names and
product descriptions are data and stay untranslated.

SKU patterns: '#' is a random digit, '@' a random capital letter (no I or O, as on real part
numbers), '{name}' a hidden ladder code; everything else is literal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from okmarts.i18n import N_


@dataclass(frozen=True)
class Spec:
    key: str  # N_-marked display key
    name: str  # placeholder used by title and description templates
    values: tuple[str, ...]


@dataclass(frozen=True)
class Ladder:
    """Linked ratings in ascending size (power with current, bore with flow…).

    One row is picked per product, so linked values never contradict each other, and the row's
    position scales the price and weight between the kind's minimum and maximum.
    """

    columns: tuple[tuple[str | None, str], ...]  # (N_ key or None for a SKU-only code, name)
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Kind:
    title: str  # after the brand name: "Siemens " + title
    description: str
    makers: Mapping[str, str] = field(hash=False)  # brand name -> SKU pattern
    specs: tuple[Spec, ...]
    price: tuple[int, int]  # USD cents: smallest..largest ladder row, or a log-uniform range
    weight: tuple[int, int]  # grams, same rule
    ladder: Ladder | None = None


@dataclass(frozen=True)
class Subcategory:
    name: str
    slug: str
    kinds: tuple[Kind, ...]


@dataclass(frozen=True)
class TopCategory:
    name: str
    slug: str
    description: str
    image: str  # under static/
    children: tuple[Subcategory, ...]


def s(key: str, name: str, *values: str) -> Spec:
    return Spec(key, name, values)


def ladder(columns: tuple[tuple[str | None, str], ...], *rows: tuple[str, ...]) -> Ladder:
    assert all(len(row) == len(columns) for row in rows)
    return Ladder(columns, rows)


BRANDS: tuple[tuple[str, str], ...] = (
    ("Siemens", "DE"), ("ABB", "CH"), ("Schneider Electric", "FR"), ("Omron", "JP"),
    ("Mitsubishi Electric", "JP"), ("Allen-Bradley", "US"), ("Phoenix Contact", "DE"),
    ("Weidmüller", "DE"), ("Festo", "DE"), ("SICK", "DE"), ("Pepperl+Fuchs", "DE"),
    ("Keyence", "JP"), ("Eaton", "IE"), ("Danfoss", "DK"), ("Yaskawa", "JP"), ("Delta", "TW"),
    ("Lapp", "DE"), ("Murrelektronik", "DE"), ("WAGO", "DE"), ("Balluff", "DE"),
    ("Banner", "US"), ("Finder", "IT"), ("ifm", "DE"), ("Beckhoff", "DE"), ("SMC", "JP"),
    ("Mean Well", "TW"), ("Turck", "DE"), ("Harting", "DE"), ("WEG", "BR"), ("Helukabel", "DE"),
    ("Parker Hannifin", "US"),
)

# Spec keys: one constant each so every key has a single msgid.
SUPPLY_VOLTAGE = N_("Supply voltage")
PROTECTION_RATING = N_("Protection rating")
OPERATING_TEMPERATURE = N_("Operating temperature")
MOUNTING = N_("Mounting")
COMMUNICATION = N_("Communication")
DIGITAL_INPUTS = N_("Digital inputs")
DIGITAL_OUTPUTS = N_("Digital outputs")
ANALOG_INPUTS = N_("Analog inputs")
PROGRAM_MEMORY = N_("Program memory")
EXPANSION_MODULES = N_("Max. expansion modules")
CHANNELS = N_("Channels")
SIGNAL_TYPE = N_("Signal type")
CONNECTION = N_("Connection")
SAFETY_LEVEL = N_("Safety level")
RATED_POWER = N_("Rated power")
RATED_CURRENT = N_("Rated current")
RATED_VOLTAGE = N_("Rated voltage")
INPUT_VOLTAGE = N_("Input voltage")
OUTPUT_FREQUENCY = N_("Output frequency")
RATED_SPEED = N_("Rated speed")
RATED_TORQUE = N_("Rated torque")
FRAME_SIZE = N_("Frame size")
EFFICIENCY_CLASS = N_("Efficiency class")
ENCODER = N_("Encoder")
HOLDING_BRAKE = N_("Holding brake")
SENSING_DISTANCE = N_("Sensing distance")
SENSING_RANGE = N_("Sensing range")
INSTALLATION = N_("Installation")
OUTPUT_TYPE = N_("Output type")
HOUSING = N_("Housing")
SWITCHING_FREQUENCY = N_("Switching frequency")
OPERATING_MODE = N_("Operating mode")
LIGHT_SOURCE = N_("Light source")
MEASURING_RANGE = N_("Measuring range")
ACCURACY = N_("Accuracy")
PROCESS_CONNECTION = N_("Process connection")
OUTPUT_SIGNAL = N_("Output signal")
SENSOR_ELEMENT = N_("Sensor element")
PROBE_LENGTH = N_("Probe length")
RESOLUTION = N_("Resolution")
SHAFT = N_("Shaft")
DISPLAY_SIZE = N_("Display size")
TOUCHSCREEN = N_("Touchscreen")
PROCESSOR = N_("Processor")
MEMORY = N_("Memory")
STORAGE = N_("Storage")
OPERATING_SYSTEM = N_("Operating system")
DISPLAY_DIGITS = N_("Display digits")
OUTPUTS = N_("Outputs")
COIL_VOLTAGE = N_("Coil voltage")
CONTACTS = N_("Contacts")
AUXILIARY_CONTACTS = N_("Auxiliary contacts")
SWITCHING_CURRENT = N_("Switching current")
LOAD_VOLTAGE = N_("Load voltage")
CONTROL_VOLTAGE = N_("Control voltage")
SWITCHING_MODE = N_("Switching mode")
FUNCTION = N_("Function")
TIME_RANGE = N_("Time range")
WIDTH = N_("Width")
SETTING_RANGE = N_("Current setting range")
TRIP_CLASS = N_("Trip class")
CROSS_SECTION = N_("Conductor cross-section")
CORES = N_("Cores")
LENGTH = N_("Length")
SHEATH = N_("Sheath material")
SHIELDING = N_("Shielding")
CABLE_CATEGORY = N_("Cable category")
COLOR = N_("Color")
TYPE = N_("Type")
PACK_QUANTITY = N_("Pack quantity")
SIZE = N_("Size")
OUTPUT_VOLTAGE = N_("Output voltage")
OUTPUT_CURRENT = N_("Output current")
OUTPUT_POWER = N_("Output power")
EFFICIENCY = N_("Efficiency")
BUFFER_TIME = N_("Buffer time")
ENERGY_STORAGE = N_("Energy storage")
ISOLATION = N_("Isolation voltage")
PRIMARY_VOLTAGE = N_("Primary voltage")
SECONDARY_VOLTAGE = N_("Secondary voltage")
POLES = N_("Poles")
TRIP_CHARACTERISTIC = N_("Tripping characteristic")
BREAKING_CAPACITY = N_("Breaking capacity")
RESIDUAL_CURRENT = N_("Rated residual current")
UTILIZATION_CATEGORY = N_("Utilization category")
DISCHARGE_CURRENT = N_("Nominal discharge current")
PROTECTION_LEVEL = N_("Voltage protection level")
PISTON_DIAMETER = N_("Piston diameter")
STROKE = N_("Stroke")
STANDARD = N_("Standard")
CUSHIONING = N_("Cushioning")
OPERATING_PRESSURE = N_("Operating pressure")
VALVE_FUNCTION = N_("Valve function")
PORT_SIZE = N_("Port size")
FLOW_RATE = N_("Standard nominal flow")
FILTER_GRADE = N_("Filter grade")
COMPONENTS = N_("Components")
TUBE_DIAMETER = N_("Tube outer diameter")
MATERIAL = N_("Material")
THREAD = N_("Thread")

# Value sets shared by several kinds.
DC24 = s(SUPPLY_VOLTAGE, "supply", "24 V DC")
DIN = s(MOUNTING, "mounting", "DIN rail")
CABINET_TEMP = s(OPERATING_TEMPERATURE, "temp", "0 … +55 °C", "-20 … +60 °C", "-25 … +70 °C")
FIELD_TEMP = s(OPERATING_TEMPERATURE, "temp", "-25 … +70 °C", "-40 … +85 °C", "-25 … +80 °C")
FIELD_IP = s(PROTECTION_RATING, "ip", "IP67", "IP68", "IP69K")
CABINET_IP = s(PROTECTION_RATING, "ip", "IP20")
FIELDBUS = s(COMMUNICATION, "comm", "PROFINET", "EtherNet/IP", "EtherCAT", "Modbus TCP")
SWITCH_OUT = s(OUTPUT_TYPE, "output", "PNP NO", "PNP NC", "NPN NO", "PNP NO, IO-Link")
SENSOR_PLUG = s(CONNECTION, "connection", "M12 connector, 4-pin", "M8 connector, 3-pin",
                "2 m PVC cable", "5 m PUR cable")
PUSH_IN = s(CONNECTION, "connection", "Push-in terminals", "Screw terminals")
SENSOR_SUPPLY = s(SUPPLY_VOLTAGE, "supply", "10–30 V DC")
PROCESS_PORT = s(PROCESS_CONNECTION, "port", "G1/4", "G1/2", "1/4\" NPT", "G1/4 female")
COIL = s(COIL_VOLTAGE, "coil", "24 V DC", "24 V AC", "230 V AC", "110 V AC")
HMI_SIZES = ((DISPLAY_SIZE, "size"), (RESOLUTION, "resolution"))
MOTOR_RANGES = ladder(
    ((SETTING_RANGE, "range"),),
    ("0.1–0.16 A",), ("0.55–0.8 A",), ("1.8–2.5 A",), ("4–6 A",), ("7–10 A",), ("9–12.5 A",),
    ("11–16 A",), ("17–22 A",), ("20–25 A",), ("28–40 A",),
)
LENGTHS = ladder(((LENGTH, "length"),), ("0.3 m",), ("0.6 m",), ("1 m",), ("2 m",), ("3 m",),
                 ("5 m",), ("10 m",), ("15 m",), ("20 m",))
PNEUMATIC_PRESSURE = s(OPERATING_PRESSURE, "pressure", "0.6 … 10 bar", "1 … 10 bar", "0 … 12 bar")
